/**
 * Source strings used by more than one catalog entry. The format follows the messenger-signature reference collection
 * the catalog was first built from (desktop messenger identifiers gathered on 2026-11-27 from winget-pkgs manifests,
 * Homebrew casks, Installomator labels, Flathub/Snapcraft manifests, vendor repositories and the Debian archive):
 * `github:OWNER/REPO:PATH@COMMIT` (abbreviated commit of the copy read),
 * a URL, or a plain description. Identifiers seen only in code whose repository was not recorded are marked as such:
 * they are corroborating evidence, never the only reason for a broad rule.
 */
export const UNATTRIBUTED = 'public GitHub code (repository not recorded)';
export const DEBLOAT_LEDRAGOX = 'github:LeDragoX/Win-Debloat-Tools:src/scripts/Remove-BloatwareAppsList.ps1@25e8bdb9';
export const DEBLOAT_RAPHIRE = 'github:Raphire/Win11Debloat:Config/Apps.json@fff1fcd0';
export const ENDPOINT_TABLE =
  'github:HwangChanho/EndPointAppTemp:PFEndPointSecurityAppTemp/Common/Define/MessengerDefine.swift@476d45bf';
