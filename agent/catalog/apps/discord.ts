import { versioned } from '../patterns.js';
import { UNATTRIBUTED } from '../sources.js';
import type { CatalogApp } from '../types.js';

const WINGET = 'github:microsoft/winget-pkgs:manifests/d/Discord/Discord/1.0.9194/Discord.Discord.installer.yaml@8f96e552';
const WINGET_INDEX = 'github:svrooij/winget-pkgs-index:index.v2.json@7ac59ed7 (generated from microsoft/winget-pkgs, 2026-08-22)';
const VESKTOP = 'github:microsoft/winget-pkgs:manifests/v/Vencord/Vesktop/1.6.6/Vencord.Vesktop.installer.yaml@8c54da35';
const EQUIBOP = 'github:microsoft/winget-pkgs:manifests/e/Equicord/Equibop/3.2.2/Equicord.Equibop.installer.yaml@6bfa99f7';
const LEGCORD = 'github:microsoft/winget-pkgs:manifests/s/smartfrigde/Legcord/1.3.0/smartfrigde.Legcord.installer.yaml@6bfa99f7';
const DORION = 'github:microsoft/winget-pkgs:manifests/s/SpikeHD/Dorion/6.13.0/SpikeHD.Dorion.installer.yaml@32df339d';
/** Unofficial Discord clients: client mods with their own app (Vesktop, Equibop, Legcord/ArmCord, GoofCord) and wrappers. */
const UNOFFICIAL = {
  pattern: 'Vesktop|WebCord|Equibop|Legcord|ArmCord|Dorion|GoofCord|Qtcord|Datcord',
  source:
    `github:ChrisTitusTech/winutil:config/applications.json@086aecf4 (Vencord.Vesktop) ; Homebrew cask webcord ; ${WINGET_INDEX}: ` +
    'Equicord.Equibop, smartfrigde.Legcord, SpikeHD.Dorion, MilkShift.GoofCord, mak448a.Qtcord ; flathub/io.github.gamingdoom.Datcord',
  note: 'unofficial Discord clients',
  thirdParty: 'unofficial Discord clients',
};

/** Update.exe is Squirrel's generic updater (Slack, Teams classic, …): never a process rule. */
export const discord: CatalogApp = {
  id: 'discord',
  name: 'Discord',
  vendor: 'Discord Inc.',
  desktopClient: 'official',
  status:
    'Windows: per-user Squirrel install in %LocalAppData%\\Discord (PTB and Canary channels alongside). macOS: Discord.app. Linux: .deb/.tar.gz, flatpak, snap.',
  windows: {
    uninstallKeys: [
      { values: ['Discord'], source: `${WINGET} (Squirrel, HKCU) ; ${UNATTRIBUTED}` },
      { values: ['14b6f25b-d709-5cc0-9be3-6249205853a6'], source: `${VESKTOP} (ProductCode)`, thirdParty: 'Vesktop' },
      { values: ['{B4A2994B-192E-514C-BD95-8D59A78B210D}'], source: `${EQUIBOP} (ProductCode)`, thirdParty: 'Equibop' },
      { values: ['511595a2-841c-5239-aada-216aeae05a49'], source: `${LEGCORD} (ProductCode)`, thirdParty: 'Legcord' },
      { values: ['{2576EBE6-7B9E-4FFD-96F7-0EC65958552B}'], source: `${DORION} (ProductCode, MSI)`, thirdParty: 'Dorion' },
    ],
    names: [
      {
        pattern: 'Discord(?: PTB| Canary)?',
        source: `${WINGET} ; Discord.Discord.PTB@3445fa4d ; Discord.Discord.Canary@6c6cf0a4 ; ${UNATTRIBUTED} (regex ^Discord$)`,
        unverified: 'PTB/Canary DisplayNames follow the channel product names but were not captured',
      },
      // Split in two: with the version suffix one alternation would pass the protocol's 200-character limit.
      { ...UNOFFICIAL, pattern: versioned('Vesktop|WebCord|Equibop|Legcord') },
      { ...UNOFFICIAL, pattern: versioned('ArmCord|Dorion|GoofCord|Qtcord|Datcord') },
    ],
    processes: [{ values: ['Discord.exe'], source: `${UNATTRIBUTED} (%LocalAppData%\\Discord\\app-<ver>\\Discord.exe)` }],
  },
  macos: {
    bundleIds: [
      {
        values: ['com.hnc.Discord', 'com.hnc.DiscordPTB', 'com.hnc.DiscordCanary'],
        source:
          'github:Homebrew/homebrew-cask:Casks/d/discord.rb@055096c6 ; discord@ptb.rb@00a71b44 ; discord@canary.rb@005184b2',
      },
      {
        values: ['dev.vencord.vesktop'],
        source: 'github:Homebrew/homebrew-cask:Casks/v/vesktop.rb@06a3af6e (zap: Preferences/dev.vencord.vesktop.plist)',
        thirdParty: 'Vesktop',
      },
      {
        values: ['app.legcord.Legcord'],
        source: 'github:Homebrew/homebrew-cask:Casks/l/legcord.rb@1ba48b34 (zap: Preferences/app.legcord.Legcord.plist)',
        thirdParty: 'Legcord',
      },
      {
        values: ['org.equicord.equibop'],
        source: 'github:Homebrew/homebrew-cask:Casks/e/equibop.rb@041cc140 (zap: Preferences/org.equicord.equibop.plist)',
        thirdParty: 'Equibop',
      },
    ],
    names: [
      { pattern: 'Discord(?: PTB| Canary)?', source: 'github:Homebrew/homebrew-cask:Casks/d/discord.rb@055096c6' },
      UNOFFICIAL,
    ],
    processes: [{ values: ['Discord'], source: UNATTRIBUTED }],
  },
  linux: {
    flatpakIds: [
      {
        values: ['com.discordapp.Discord', 'com.discordapp.DiscordCanary'],
        source:
          'github:flathub/com.discordapp.Discord:com.discordapp.Discord.yaml@0cd58b7c ; github:flathub/com.discordapp.DiscordCanary',
      },
      {
        values: [
          'dev.vencord.Vesktop',
          'io.github.spacingbat3.webcord',
          'io.github.mak448a.QTCord',
          'io.github.gamingdoom.Datcord',
        ],
        source:
          'github:flathub/dev.vencord.Vesktop ; github:flathub/io.github.spacingbat3.webcord ; github:flathub/io.github.mak448a.QTCord ; github:flathub/io.github.gamingdoom.Datcord (Flathub repositories, 2026-12-05)',
        thirdParty: 'Vesktop, WebCord, QTCord, Datcord',
      },
      {
        values: ['io.github.milkshiift.GoofCord'],
        source: `${UNATTRIBUTED} (flatpak install list next to dev.vencord.Vesktop)`,
        thirdParty: 'GoofCord',
      },
      {
        values: ['app.legcord.Legcord'],
        source: 'github:Homebrew/homebrew-cask:Casks/l/legcord.rb@1ba48b34 (app id app.legcord.Legcord on macOS)',
        thirdParty: 'Legcord',
        unverified: 'the flatpak id is assumed to equal the macOS bundle id; it names the app, so it cannot be another product',
      },
    ],
    packages: [
      {
        values: ['purple-discord'],
        source: 'Debian 12 archive: purple-discord (apt-cache show, 2026-12-05)',
        note: 'libpurple plugin: Pidgin or Bitlbee become a Discord client',
        thirdParty: 'purple-discord',
      },
    ],
    snapNames: [{ values: ['discord'], source: 'github:snapcrafters/discord:snap/snapcraft.yaml@006856e0' }],
    desktopIds: [
      {
        values: ['discord.desktop', 'com.discordapp.Discord.desktop'],
        source:
          'github:snapcrafters/discord:snap/snapcraft.yaml@006856e0 ; github:flathub/com.discordapp.Discord:com.discordapp.Discord.yaml@0cd58b7c',
      },
    ],
    names: [
      {
        pattern: 'Discord(?: PTB| Canary)?',
        source: 'github:flathub/com.discordapp.Discord:com.discordapp.Discord.yaml@0cd58b7c',
      },
      UNOFFICIAL,
    ],
    processes: [
      {
        values: ['Discord'],
        source: 'github:flathub/com.discordapp.Discord:com.discordapp.Discord.json@0123b627 (/usr/share/discord/Discord)',
      },
    ],
  },
  notThis: ['Discord bots and bot makers', 'BetterDiscord (installer of a client mod)'],
};
