/**
 * What the catalog must recognise and what it must leave alone, as records the inventory really produces.
 * Windows and macOS records are hand-made from real registry/AppX/Info.plist values (those commands cannot run here);
 * Linux records mirror dpkg, flatpak, snap and .desktop data. Every case runs against the whole catalog at once,
 * so a look-alike matching *any* app fails, and a real app matching a second app fails too.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { OsName } from '../../../protocol/index.js';
import { catalog, getCatalogMatcher } from '../../../agent/catalog/index.js';
import type { AppIds, InstalledApp, RunningProcess } from '../../../agent/inventory/types.js';
import { MatcherSet } from '../../../agent/policy/match.js';

const set = new MatcherSet(catalog.map((a) => getCatalogMatcher(a.id)!));
const idsOf = (app: InstalledApp, os: OsName) => set.matchApp(app, os).map((h) => catalog[h.index]!.id);
const procIdsOf = (p: RunningProcess, os: OsName) => set.matchProcess(p, os).map((i) => catalog[i]!.id);

type Case = [expected: string | null, record: Partial<InstalledApp> & { name: string }, ids?: AppIds];

function reg(name: string, publisher: string | undefined, key: string): Partial<InstalledApp> & { name: string; ids: AppIds } {
  return { name, ...(publisher ? { publisher } : {}), source: 'registry', scope: 'user', ids: { uninstallKey: key } };
}
function appx(name: string, family?: string) {
  return {
    name,
    source: 'appx' as const,
    scope: 'user' as const,
    ids: { appxName: name, ...(family ? { appxFamily: family } : {}) },
  };
}
function bundle(name: string, bundleId: string) {
  return { name, source: 'bundle' as const, scope: 'machine' as const, ids: { bundleId }, location: `/Applications/${name}.app` };
}
const dpkg = (pkg: string) => ({ name: pkg, source: 'dpkg' as const, scope: 'machine' as const, ids: { packageName: pkg } });
const flatpak = (id: string, name: string) => ({
  name,
  source: 'flatpak' as const,
  scope: 'machine' as const,
  ids: { flatpakId: id },
});
const snap = (snapName: string) => ({ name: snapName, source: 'snap' as const, scope: 'machine' as const, ids: { snapName } });
const appimage = (file: string, name: string) => ({
  name,
  source: 'appimage' as const,
  scope: 'user' as const,
  ids: { executable: file },
  location: `/home/anna/Applications/${file}`,
});
const desktop = (file: string, name: string) => ({
  name,
  source: 'desktop-entry' as const,
  scope: 'user' as const,
  ids: { desktopId: file },
});

const CASES: Record<OsName, Case[]> = {
  windows: [
    // must match
    ['whatsapp', appx('5319275A.WhatsAppDesktop', '5319275A.WhatsAppDesktop_cv1g1gvanyjgm')],
    ['whatsapp', { ...appx('5319275A.51895FA4EA97F'), ids: { appxFamily: '5319275a.51895fa4ea97f_cv1g1gvanyjgm' } }],
    ['whatsapp', reg('WhatsApp', 'WhatsApp', 'WhatsApp')],
    ['whatsapp', reg('WhatsApp Beta', 'WhatsApp Inc.', 'WhatsApp')],
    ['snapchat', reg('Snapchat', 'Google\\Chrome', 'c2a0e1f0d3b4a5968778695a4b3c2d1e')],
    ['kik', reg('Kik', 'BlueStacks', 'BlueStacks_com.kik.chat')],
    ['facebook', appx('FACEBOOK.FACEBOOK')],
    ['facebook', reg('Facebook', 'Microsoft\\Edge', '5b1d4a2f9c8e7d6b')],
    ['facebook-messenger', reg('Messenger', 'Facebook, Inc.', 'c1b3adcf-2068-5e8d-b25d-30ce588e3a4c')],
    ['facebook-messenger', reg('Messenger 205.0.564654621', 'Meta Platforms, Inc.', '{0D8A6F0E-0000-4000-8000-000000000001}')],
    ['facebook-messenger', reg('Messenger', 'Google\\Chrome', '0a1b2c3d4e5f')],
    ['facebook-messenger', appx('FACEBOOK.317180B0BB486', 'FACEBOOK.317180B0BB486_8xx8rvfyw5nnt')],
    ['facebook-messenger', reg('Caprine 2.60.1', 'Sindre Sorhus', '{c2b3f0a1-0000-4000-8000-00000000cafe}')],
    ['instagram', appx('Facebook.InstagramBeta')],
    ['line', reg('LINE', 'LINE Corporation', 'LINE')],
    ['line', reg('LINE 9.4.0.3476', 'LY Corporation', 'LINE_x64')],
    ['line', appx('NAVER.LINEwin8')],
    ['telegram', reg('Telegram Desktop', 'Telegram FZ-LLC', '{53F49750-6209-4FBF-9CA8-7A333C87D1ED}_is1')],
    ['telegram', reg('Telegram Desktop version 4.14', 'Telegram FZ-LLC', '{53f49750-6209-4fbf-9ca8-7a333c87d1ed}_is1')],
    ['telegram', reg('Telegram Desktop 5.10.0 (x64)', undefined, 'SomethingElse_is1')],
    ['telegram', appx('TelegramMessengerLLP.TelegramDesktop', 'TelegramMessengerLLP.TelegramDesktop_t4vj0pshhgkwm')],
    ['signal', reg('Signal 7.40.0', 'Signal Messenger, LLC', '7d96caee-06e6-597c-9f2f-c7bb2e0948b4')],
    ['signal', reg('Signal Beta 7.41.0-beta.1', 'Signal Messenger, LLC', 'b39ac3a0-cc73-5ec2-ba18-5ab3c4de1ca1')],
    ['signal', reg('Signal 6.43.2', 'Signal Messenger, LLC', 'copied-by-deployment-tool')],
    ['threema', appx('Threema.Desktop.Work', 'Threema.Desktop.Work_cvh4qa9n1gk2r')],
    ['threema', reg('Threema', 'Threema GmbH', 'threema_web')],
    ['threema', reg('Threema Work Beta 2.0.68', 'Threema GmbH', 'x')],
    ['wechat', reg('微信', '腾讯科技(深圳)有限公司', 'Weixin')],
    ['wechat', reg('WeChat', '腾讯科技(深圳)有限公司', 'WeChat')],
    ['viber', reg('Viber', 'Rakuten', '{D250B48D-0C28-4A08-9B2C-8F3E4C1B1A11}')],
    ['discord', reg('Discord', 'Discord Inc.', 'Discord')],
    ['discord', reg('Discord PTB', 'Discord Inc.', 'DiscordPTB')],
    ['discord', reg('Vesktop 1.5.3', 'Vencord', 'b1a2c3d4-0000-5000-8000-00000000beef')],
    ['skype', reg('Skype version 8.150', 'Skype Technologies S.A.', 'Skype_is1')],
    ['skype', reg('Skype™ 7.18', 'Skype Technologies S.A.', '{FC965A47-4839-40CA-B618-18F486F042C6}')],
    ['skype', appx('Microsoft.SkypeApp', 'Microsoft.SkypeApp_kzf8qxf38zg5c')],
    ['element', reg('Element', 'Element', 'element-desktop')],
    ['element', reg('Element 1.11.112', 'New Vector Ltd', 'other-key')],
    ['wire', reg('Wire', 'Wire Swiss GmbH', 'wire')],
    // third-party clients (audit: test/fixtures/catalog-audit/winget.json)
    ['telegram', reg('Kotatogram Desktop', undefined, '{0B1C2D3E-0000-4000-8000-00000000000A}_is1')],
    ['discord', reg('Legcord 1.3.0', undefined, '511595a2-841c-5239-aada-216aeae05a49')],
    ['discord', reg('Dorion', 'spikehd', '{2576EBE6-7B9E-4FFD-96F7-0EC65958552B}')],
    ['whatsapp', reg('Altus 5.8.1', undefined, 'be25d1f4-3999-55bd-a6b3-0abfff8cb898')],
    ['facebook-messenger', reg('Messenger Next', undefined, '{406509F9-913B-4B3C-83AD-4BA13813FE9A}')],
    ['element', reg('SchildiChat 1.11.36-sc.3', undefined, 'schildichat-desktop')],
    // multi-service containers
    ['ferdium', reg('Ferdium 7.2.0', 'Ferdium Contributors', 'ferdium-key')],
    ['franz', reg('Franz 5.11.0', undefined, 'franz-key')],
    ['franz', reg('Franz', undefined, '41ea870c-e358-5c9f-80c2-feeb2c3c8132')],
    ['rambox', reg('Rambox 2.7.1', 'Rambox LLC', 'a53f4587-45c2-53bd-bc06-9f53011c5a65')],
    ['beeper', reg('Beeper 4.3.57', 'Beeper', '4005ec12-b235-5981-b49e-4005d478a398')],
    ['station', reg('Station 3.3.0', undefined, '6d59af78-a042-5f91-9000-138e465ce44a')],
    ['all-in-one-messenger', reg('All-in-One Messenger 2.5.0', undefined, 'b6dcb923-775d-56f6-b8cb-dbde86aa378b')],
    // must not match
    [null, reg('SignalRGB', 'WhirlwindFX', 'SignalRgb')],
    [null, reg('Signal Hound Spike', 'Signal Hound', '{8A4C2B1E-1111-4000-8000-000000000001}')],
    [null, reg('Signal 3.2', 'Acme Radio Tools', 'AcmeSignal')],
    [null, reg('WireGuard', 'WireGuard LLC', '{5E2C9A31-0000-4000-8000-000000000002}')],
    [null, reg('Wireshark 4.2.3 64-bit', 'The Wireshark developer community, https://www.wireshark.org', 'Wireshark')],
    [null, reg('Teamwire', 'Grass-Merkur GmbH', 'teamwire')],
    [null, reg('Linear 1.2.3', 'Linear Orbit, Inc.', 'linear')],
    [null, reg('LINE WORKS', 'Works Mobile Corp.', 'LINEWORKS')],
    [null, reg('Line 6', 'Line 6', 'Line6Driver')],
    [null, reg('Lineage II', 'NCSOFT', 'Lineage II')],
    [null, reg('Threema Safe', 'Acme', 'threema-safe-tool')],
    [null, reg('TeamViewer', 'TeamViewer Germany GmbH', 'TeamViewer')],
    [null, reg('企业微信', '腾讯科技(深圳)有限公司', 'WXWork')],
    [null, reg('WeCom', 'Tencent', 'WXWork')],
    [null, reg('微信开发者工具', 'Tencent', 'wechat_devtools')],
    [null, reg('Skype for Business', 'Microsoft Corporation', '{90160000-012B-0409-1000-0000000FF1CE}')],
    [null, reg('Skype for Business Basic 2016 - en-us', 'Microsoft Corporation', 'SkypeForBusinessBasic')],
    [null, reg('Microsoft Teams', 'Microsoft Corporation', 'Teams')],
    [null, reg('Teams Machine-Wide Installer', 'Microsoft Corporation', '{731F6BAA-A986-45A4-8936-7C3AAAAA760B}')],
    [null, appx('MSTeams', 'MSTeams_8wekyb3d8bbwe')],
    [null, reg('Slack', 'Slack Technologies Inc.', 'slack')],
    [null, appx('com.tinyspeck.slackdesktop', 'com.tinyspeck.slackdesktop_8yrtsj140pw4g')],
    [null, reg('Telegraph', 'Telegraph Ltd', 'telegraph')],
    [null, reg('Telegram Media Downloader', 'tdl', '{0A0A0A0A-0000-4000-8000-000000000003}_is1')],
    [null, reg('Kiki', 'Kiki Software', 'kiki')],
    [null, reg('KiCad 8.0', 'KiCad', 'KiCad')],
    [null, reg('Discord Bot Maker', 'Rat Cat Games', 'DBM')],
    [null, reg('Element', 'Acme Chemistry', 'periodic-element')],
    [null, reg('Adobe Photoshop Elements 2024', 'Adobe', '{A1B2C3D4-0000-4000-8000-000000000004}')],
    [null, reg('Messenger', 'Acme Messaging GmbH', 'acme-messenger')],
    [null, reg('Messenger', undefined, 'no-publisher-messenger')],
    [null, reg('Facebook Gameroom', 'Facebook', 'Facebook Gameroom')],
    [null, reg('4K Stogram', 'Open Media LLC', '4kstogram')],
    [null, reg('Instagram Downloader', 'Acme', 'instadl')],
    [null, reg('WhatsApp Media Downloader', 'Acme', 'wamd')],
    [null, reg('Snap Camera', 'Snap Inc.', 'SnapCamera')],
    [null, reg('Update', 'GitHub', 'Update')],
    [null, reg('Vibrato', 'Acme', 'vibrato')],
    [null, reg('Threema Safe Restore Tool', 'Acme', 'x')],
    [null, reg('Signal Desktop Backup Viewer', 'Acme', 'sdbv')],
    [null, reg('Element Insights', 'Element Software', 'ei')],
    [null, reg('Altus', 'Altus Software', 'altus-erp')],
    [null, reg('Franz', 'Franz Kafka Archive', 'franz-archive')],
    [null, reg('Station', 'Acme', 'acme-station')],
    [null, reg('DuckStation', 'Stenzek', 'DuckStation')],
    [null, reg('Synology Note Station Client', 'Synology', 'NoteStation')],
    [null, reg('Messenger Express', 'Acme', 'mx')],
    [null, reg('SignalRgb', undefined, 'VortxEngine')],
  ],
  macos: [
    ['whatsapp', bundle('WhatsApp', 'net.whatsapp.WhatsApp')],
    ['whatsapp', bundle('WhatsApp Beta', 'net.whatsapp.WhatsApp')],
    ['whatsapp', bundle('WhatsApp', 'desktop.WhatsApp')],
    ['snapchat', bundle('Snapchat', 'com.google.Chrome.app.pmhiabnkkchjeaehcodceadhdpfejmmd')],
    ['snapchat', bundle('Snap', 'com.toyopagroup.picaboo')],
    ['kik', bundle('Kik', 'com.kik.chat')],
    ['facebook', bundle('Facebook', 'com.google.Chrome.app.kippjfofjhjlffjecoapiogbkgbpmgej')],
    ['facebook-messenger', bundle('Messenger', 'com.facebook.archon')],
    // the direct download from messenger.com (Homebrew's "messenger" cask), the build most Macs have
    ['facebook-messenger', bundle('Messenger', 'com.facebook.archon.developerID')],
    ['telegram', bundle('AyuGram', 'one.ayugram.AyuGramDesktop')],
    ['discord', bundle('Vesktop', 'dev.vencord.vesktop')],
    ['ferdium', bundle('Ferdium', 'com.ferdium.ferdium-app')],
    ['beeper', bundle('Beeper Desktop', 'com.automattic.beeper.desktop')],
    [null, bundle('Franz Kafka Reader', 'com.example.kafka-reader')],
    ['facebook-messenger', bundle('Caprine', 'com.sindresorhus.caprine')],
    ['instagram', bundle('Instagram', 'com.burbn.instagram')],
    ['line', bundle('LINE', 'jp.naver.line.mac')],
    ['telegram', bundle('Telegram', 'ru.keepcoder.Telegram')],
    ['telegram', bundle('Telegram Desktop', 'com.tdesktop.Telegram')],
    ['signal', bundle('Signal', 'org.whispersystems.signal-desktop')],
    ['signal', bundle('Signal Beta', 'org.whispersystems.signal-desktop-beta')],
    ['threema', bundle('Threema Beta', 'ch.threema.threema-desktop')],
    ['threema', bundle('Threema Work', 'ch.threema.threema-work-web')],
    ['wechat', bundle('WeChat', 'com.tencent.xinWeChat')],
    ['viber', bundle('Viber', 'com.viber.osx')],
    ['discord', bundle('Discord PTB', 'com.hnc.DiscordPTB')],
    ['skype', bundle('Skype', 'com.skype.skype')],
    ['element', bundle('Element Nightly', 'im.riot.app')],
    ['wire', bundle('Wire', 'com.wearezeta.zclient.mac')],
    [null, bundle('Karabiner-Elements', 'org.pqrs.Karabiner-Elements.Settings')],
    [null, bundle('Element', 'com.example.periodic-table')],
    [null, bundle('Signal', 'com.example.signal-generator')],
    [null, bundle('LINE Bot Designer', 'com.linecorp.line-bot-designer')],
    [null, bundle('Linear', 'com.linear')],
    [null, bundle('LinearMouse', 'com.lujjjh.LinearMouse')],
    [null, bundle('NetNewsWire', 'com.ranchero.NetNewsWire-Evergreen')],
    [null, bundle('Wireshark', 'org.wireshark.Wireshark')],
    [null, bundle('Messages', 'com.apple.MobileSMS')],
    [null, bundle('WeCom', 'com.tencent.WeWorkMac')],
    [null, bundle('Microsoft Teams', 'com.microsoft.teams2')],
    [null, bundle('Slack', 'com.tinyspeck.slackmacgap')],
    [null, bundle('TeamViewer', 'com.teamviewer.TeamViewer')],
    [null, bundle('Command Line Tools', 'com.apple.dt.CommandLineTools')],
  ],
  linux: [
    ['telegram', dpkg('telegram-desktop')],
    ['telegram', desktop('org.telegram.desktop.desktop', 'Telegram Desktop')],
    ['telegram', flatpak('org.telegram.desktop', 'Telegram Desktop')],
    ['telegram', snap('telegram-desktop')],
    ['signal', flatpak('org.signal.Signal', 'Signal')],
    ['signal', dpkg('signal-desktop-beta')],
    ['signal', snap('signal-desktop')],
    ['whatsapp', flatpak('com.github.eneshecan.WhatsAppForLinux', 'WhatsApp for Linux')],
    ['whatsapp', snap('whatsapp-for-linux')],
    ['snapchat', desktop('chrome-pmhiabnkkchjeaehcodceadhdpfejmmd-Default.desktop', 'Snapchat')],
    ['threema', flatpak('ch.threema.threema-desktop', 'Threema')],
    ['wechat', flatpak('com.tencent.WeChat', 'WeChat')],
    ['viber', flatpak('com.viber.Viber', 'Viber')],
    ['discord', snap('discord')],
    ['discord', desktop('com.discordapp.Discord.desktop', 'Discord')],
    ['skype', dpkg('skypeforlinux')],
    ['element', flatpak('im.riot.Riot', 'Element')],
    ['element', dpkg('element-desktop')],
    ['wire', snap('wire')],
    ['wire', dpkg('wire-desktop')],
    ['facebook-messenger', flatpak('com.sindresorhus.Caprine', 'Caprine')],
    // unofficial WhatsApp wrappers on Flathub
    ['whatsapp', flatpak('com.rtosta.zapzap', 'ZapZap')],
    ['whatsapp', desktop('com.rtosta.zapzap.desktop', 'ZapZap')],
    ['whatsapp', flatpak('com.github.xeco23.WasIstLos', 'WasIstLos')],
    ['telegram', flatpak('io.github.kotatogram', 'Kotatogram Desktop')],
    ['signal', flatpak('de.schmidhuberj.Flare', 'Flare')],
    ['discord', flatpak('dev.vencord.Vesktop', 'Vesktop')],
    ['discord', dpkg('purple-discord')],
    ['ferdium', flatpak('org.ferdium.Ferdium', 'Ferdium')],
    [null, flatpak('org.example.Flare', 'Flare')],
    [null, dpkg('python3-discord')],
    [null, dpkg('telegram-send')],
    [null, dpkg('wireguard')],
    [null, dpkg('wireshark')],
    [null, dpkg('libsignal-protocol-c2')],
    [null, dpkg('telegram-purple-dummy')],
    [null, desktop('org.kde.kiki.desktop', 'Kiki')],
    [null, desktop('periodic.desktop', 'Element')],
    [null, desktop('signal-generator.desktop', 'Signal')],
    ['signal', appimage('Signal-7.1.0-x86_64.AppImage', 'Signal')],
    ['element', appimage('Element-1.11.50.AppImage', 'Element')],
    ['threema', appimage('Threema-Beta-2.0-beta-x86_64.AppImage', 'Threema-Beta')],
    [null, appimage('SignalGenerator-1.0.AppImage', 'SignalGenerator')],
    [null, appimage('Elements-2.0.AppImage', 'Elements')],
    [null, flatpak('com.slack.Slack', 'Slack')],
    [null, flatpak('com.github.IsmaelMartinez.teams_for_linux', 'Teams for Linux')],
    [null, snap('signal-cli-helper')],
  ],
};

describe('catalog recognition', () => {
  for (const os of ['windows', 'macos', 'linux'] as const) {
    describe(os, () => {
      for (const [expected, partial] of CASES[os]) {
        const record = { source: 'registry', scope: 'machine', ids: {}, ...partial } as InstalledApp;
        const label = `${expected ?? 'no app'} ← ${record.source} "${record.name}"${record.publisher ? ` (${record.publisher})` : ''}`;
        it(label, () => {
          assert.deepEqual(idsOf(record, os), expected ? [expected] : []);
        });
      }
    });
  }

  it('applies OS-limited name rules only on their OS', () => {
    // "Telegram" alone is the macOS/Linux app name; on Windows only "Telegram Desktop" is a real DisplayName.
    const bare = { name: 'Telegram', source: 'registry', scope: 'user', ids: {} } as InstalledApp;
    assert.deepEqual(idsOf(bare, 'windows'), []);
    assert.deepEqual(idsOf({ ...bare, source: 'bundle' }, 'macos'), ['telegram']);
  });
});

const PROCESSES: [OsName, RunningProcess, string | null][] = [
  ['windows', { pid: 10, name: 'WhatsApp.exe' }, 'whatsapp'],
  ['windows', { pid: 11, name: 'whatsapp.EXE' }, 'whatsapp'],
  ['windows', { pid: 12, name: 'Telegram.exe' }, 'telegram'],
  ['windows', { pid: 13, name: 'Signal Beta.exe' }, 'signal'],
  ['windows', { pid: 14, name: 'LINE.exe' }, 'line'],
  ['windows', { pid: 15, name: 'Discord.exe' }, 'discord'],
  ['windows', { pid: 16, name: 'Update.exe' }, null],
  ['windows', { pid: 17, name: 'SignalRgb.exe' }, null],
  ['windows', { pid: 18, name: 'WeChatAppEx.exe' }, null],
  ['windows', { pid: 19, name: 'WXWork.exe' }, null],
  ['windows', { pid: 20, name: 'ms-teams.exe' }, null],
  ['windows', { pid: 21, name: 'slack.exe' }, null],
  ['windows', { pid: 22, name: 'AyuGram.exe' }, 'telegram'],
  ['windows', { pid: 23, name: 'Ferdium.exe' }, 'ferdium'],
  ['windows', { pid: 24, name: 'SignalRgb.exe' }, null],
  ['macos', { pid: 30, name: 'Signal', path: '/Applications/Signal.app/Contents/MacOS/Signal' }, 'signal'],
  ['macos', { pid: 31, name: 'signal' }, 'signal'],
  ['macos', { pid: 32, name: 'Messages' }, null],
  ['macos', { pid: 33, name: 'Karabiner-Elements' }, null],
  ['macos', { pid: 34, name: 'WeChat' }, 'wechat'],
  ['linux', { pid: 40, name: 'telegram-desktop', path: '/usr/bin/telegram-desktop' }, 'telegram'],
  ['linux', { pid: 41, name: 'telegram-deskto' }, 'telegram'],
  ['linux', { pid: 42, name: 'Telegram', path: '/opt/Telegram/Telegram' }, 'telegram'],
  ['linux', { pid: 43, name: 'telegram' }, null],
  ['linux', { pid: 44, name: 'signal-desktop-' }, 'signal'],
  ['linux', { pid: 45, name: 'whatsapp-for-li' }, 'whatsapp'],
  ['linux', { pid: 46, name: 'wireguard' }, null],
  ['linux', { pid: 49, name: 'zapzap' }, 'whatsapp'],
  ['linux', { pid: 47, name: 'bash', path: '/opt/Signal/signal-desktop' }, 'signal'],
  // a 15-character name with a readable path is a real 15-character name, not a cut one
  ['linux', { pid: 48, name: 'telegram-deskto', path: '/usr/local/bin/telegram-deskto' }, null],
];

describe('catalog recognition of running processes', () => {
  for (const [os, proc, expected] of PROCESSES) {
    it(`${os}: ${proc.name}${proc.path ? ` (${proc.path})` : ''} → ${expected ?? 'no app'}`, () => {
      assert.deepEqual(procIdsOf(proc, os), expected ? [expected] : []);
    });
  }
});
