# Stops and unregisters the Appwacht machine agent (issue 11), run elevated by the uninstaller (NSIS or MSI).
# Leaves %ProgramData%\Appwacht (state, device token) alone: the uninstaller removes it only when asked (/PURGE, PURGE=1).
# Untested here (no Windows on the build machine); check on Windows: schtasks /Query /TN "Appwacht\Agent" fails afterwards.
$ErrorActionPreference = 'Continue'
schtasks /End /TN 'Appwacht\Agent' 2>$null | Out-Null
schtasks /Delete /TN 'Appwacht\Agent' /F 2>$null | Out-Null
# The task ends the supervisor; its turn processes and the trays run on from the install folder: end them too.
Get-Process -Name node, appwacht-tray -ErrorAction SilentlyContinue |
  Where-Object { $_.Path -like (Join-Path $env:ProgramFiles 'Appwacht\*') } |
  Stop-Process -Force -ErrorAction SilentlyContinue
exit 0
