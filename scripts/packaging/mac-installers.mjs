// npm run dist:mac — on a Mac only (pkg and dmg need Apple's pkgbuild/productbuild and hdiutil): stages the agent and
// the Node runtime for the Mac's architecture, then electron-builder builds the pkg (with build/macos/pkg-scripts) and
// the dmg from electron-builder.yml, plus latest-mac.yml for the update feed. Code signing and notarisation follow
// electron-builder's usual settings (CSC_LINK, APPLE_ID …; README, "macOS").
import { join } from 'node:path';
import { build, Platform } from 'electron-builder';
import { STAGE_RUNTIME } from './paths.mjs';
import { stageAgent } from './stage-agent.mjs';
import { stageNodeRuntime } from './node-runtime.mjs';

if (process.platform !== 'darwin') {
  console.error('dist:mac runs on macOS only (pkgbuild, productbuild, hdiutil); see README, "Installers".');
  process.exit(2);
}
const arch = process.arch === 'arm64' ? 'arm64' : 'x64';
await stageAgent();
await stageNodeRuntime('mac', arch, join(STAGE_RUNTIME, `mac-${arch}`));
await build({ targets: Platform.MAC.createTarget(['pkg', 'dmg'], arch === 'arm64' ? 3 : 1), publish: 'never' });
