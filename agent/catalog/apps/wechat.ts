import { versioned } from '../patterns.js';
import { ENDPOINT_TABLE, UNATTRIBUTED } from '../sources.js';
import type { CatalogApp } from '../types.js';

const WINGET_3 = 'github:microsoft/winget-pkgs:manifests/t/Tencent/WeChat/3.9.12.51/Tencent.WeChat.installer.yaml@fc57d891';
const WINGET_4 =
  'github:microsoft/winget-pkgs:manifests/t/Tencent/WeChat/Universal/4.1.15.13/Tencent.WeChat.Universal.installer.yaml@51c2759a';

/**
 * Windows 4.x renamed product and executable to Weixin (微信). WeCom (企业微信, WXWork) is Tencent's enterprise product and not
 * WeChat; the anchored "微信" rule cannot match "企业微信". WeChatAppEx.exe also ships with WeCom, so it is not used.
 */
export const wechat: CatalogApp = {
  id: 'wechat',
  name: 'WeChat (微信 / Weixin)',
  vendor: 'Tencent',
  desktopClient: 'official',
  status:
    'Windows: machine-wide NSIS installer (3.x "WeChat", 4.x "Weixin"). macOS: WeChat.app. Linux: official .deb (since 2024) and a community flatpak.',
  windows: {
    uninstallKeys: [
      { values: ['WeChat'], source: WINGET_3, note: '3.x' },
      { values: ['Weixin'], source: WINGET_4, note: '4.x' },
    ],
    names: [
      {
        pattern: versioned('WeChat|Weixin|微信'),
        source: `${WINGET_3} ; ${WINGET_4} ; ${UNATTRIBUTED} (regexes ^WeChat\\b ^Weixin\\b ^微信)`,
      },
      {
        pattern: versioned('weweChat'),
        source: 'github:microsoft/winget-pkgs:manifests/t/trazyn/weweChat/1.1.7/trazyn.weweChat.installer.yaml@373a603d',
        thirdParty: 'weweChat',
        unverified: 'ARP DisplayName taken from the package name',
      },
    ],
    processes: [
      {
        values: ['WeChat.exe', 'Weixin.exe'],
        source: `${UNATTRIBUTED} (Tencent\\WeChat\\WeChat.exe, Tencent\\Weixin\\Weixin.exe)`,
      },
    ],
  },
  macos: {
    bundleIds: [
      { values: ['com.tencent.xinWeChat'], source: 'github:Homebrew/homebrew-cask:Casks/w/wechat.rb@01eb38ec' },
      {
        values: ['gh.trazyn.wewechat'],
        source: 'github:Homebrew/homebrew-cask:Casks/w/wewechat.rb@0c5929ab (zap: Preferences/gh.trazyn.wewechat.plist)',
        note: 'discontinued in 2018; installs remain',
        thirdParty: 'weweChat',
      },
    ],
    names: [
      { pattern: 'WeChat|微信', source: 'github:Homebrew/homebrew-cask:Casks/w/wechat.rb@01eb38ec' },
      { pattern: 'weweChat', source: 'github:Homebrew/homebrew-cask:Casks/w/wewechat.rb@0c5929ab', thirdParty: 'weweChat' },
    ],
    processes: [{ values: ['WeChat'], source: ENDPOINT_TABLE }],
  },
  linux: {
    flatpakIds: [
      {
        values: ['com.tencent.WeChat'],
        source: 'github:flathub/com.tencent.WeChat:com.tencent.WeChat.yaml@a0d160e3',
        note: "community package of Tencent's .deb",
      },
    ],
    packages: [
      {
        values: ['wechat-beta'],
        source: 'github:flathub/com.tencent.WeChat:com.tencent.WeChat.yaml@04711610',
        note: 'older openKylin partner build',
      },
    ],
    names: [{ pattern: 'WeChat|Weixin|微信', source: 'github:flathub/com.tencent.WeChat:com.tencent.WeChat.yaml@a0d160e3' }],
    processes: [
      { values: ['wechat'], source: 'github:flathub/com.tencent.WeChat:com.tencent.WeChat.yaml@a0d160e3 (/opt/wechat/wechat)' },
    ],
  },
  notThis: ['WeCom / 企业微信 / WXWork', 'WeChat DevTools (微信开发者工具)', 'WeType'],
};
