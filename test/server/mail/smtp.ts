import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

/** A real SMTP server in this process; `answer` decides what it says to the next message. */
export class Smtp {
  received: ParsedMail[] = [];
  answer: 'ok' | 451 | 550 = 'ok';
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
          void simpleParser(Buffer.concat(chunks)).then((m) => {
            this.received.push(m);
            done();
          });
        });
      },
    });
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    this.port = (this.server.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
    this.server = null;
  }
}
