import { versioned } from '../patterns.js';
import { UNATTRIBUTED } from '../sources.js';
import type { CatalogApp } from '../types.js';

const WINGET = 'github:microsoft/winget-pkgs:manifests/d/Discord/Discord/1.0.9194/Discord.Discord.installer.yaml@8f96e552';
const UNOFFICIAL = {
  pattern: 'Vesktop|WebCord',
  source: 'github:ChrisTitusTech/winutil:config/applications.json@086aecf4 (Vencord.Vesktop) ; Homebrew cask webcord',
  note: 'unofficial Discord clients',
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
    uninstallKeys: [{ values: ['Discord'], source: `${WINGET} (Squirrel, HKCU) ; ${UNATTRIBUTED}` }],
    names: [
      {
        pattern: 'Discord(?: PTB| Canary)?',
        source: `${WINGET} ; Discord.Discord.PTB@3445fa4d ; Discord.Discord.Canary@6c6cf0a4 ; ${UNATTRIBUTED} (regex ^Discord$)`,
        unverified: 'PTB/Canary DisplayNames follow the channel product names but were not captured',
      },
      { ...UNOFFICIAL, pattern: versioned(UNOFFICIAL.pattern) },
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
