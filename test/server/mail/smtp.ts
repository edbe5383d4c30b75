import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

/** A real SMTP server in this process; `answer` decides what it says to the next message. */
export class Smtp {
  received: ParsedMail[] = [];
  answer: 'ok' | 451 | 550 = 'ok';
  errors: string[] = [];

  /**
   * acceptFirst: answer 250 before parsing, as a real server takes responsibility only with its answer (the SIGKILL
   * test: recording a message before the answer would count one the client never saw accepted and rightly sends
   * again). Otherwise parse first, so `received` is complete when the client's send returns.
   */
  constructor(private readonly acceptFirst = false) {}
  private server: SMTPServer | null = null;
  port = 0;

  async start(port = 0): Promise<void> {
    this.server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onData: (stream, _session, done) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          if (this.answer !== 'ok') {
            const err = Object.assign(new Error(this.answer === 451 ? 'try again later' : 'mailbox unavailable'), {
              responseCode: this.answer,
            });
            return done(err);
          }
          if (this.acceptFirst) done();
          void simpleParser(Buffer.concat(chunks)).then((m) => {
            this.received.push(m);
            if (!this.acceptFirst) done();
          });
        });
      },
    });
    // A client killed mid-conversation (the SIGKILL tests) resets its socket: that is the test, not a failure here.
    this.server.on('error', (err: Error) => this.errors.push(err.message));
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    this.port = (this.server.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
    this.server = null;
  }
}
