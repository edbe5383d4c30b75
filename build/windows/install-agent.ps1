# Registers the Appwacht machine agent (issue 14) on Windows, run elevated by the installer. Untested here (no Windows on
# the build machine); how to check it is in the comments of appwacht-agent-task.xml.
#Requires -RunAsAdministrator
$ErrorActionPreference = 'Stop'
$state = Join-Path $env:ProgramData 'Appwacht'
New-Item -ItemType Directory -Force -Path $state | Out-Null
# The device token and state: SYSTEM and Administrators only, nothing inherited (employees get no access at all).
icacls $state /inheritance:r /grant:r '*S-1-5-18:(OI)(CI)F' '*S-1-5-32-544:(OI)(CI)F' | Out-Null
# The tray channel's claim folder: every user may create a file in it (the claim), none may list or read others'.
$claims = Join-Path $state 'channel\claims'
New-Item -ItemType Directory -Force -Path $claims | Out-Null
icacls (Join-Path $state 'channel') /inheritance:r /grant:r '*S-1-5-18:(OI)(CI)F' '*S-1-5-32-544:(OI)(CI)F' '*S-1-5-32-545:(RX)' | Out-Null
icacls $claims /inheritance:r /grant:r '*S-1-5-18:(OI)(CI)F' '*S-1-5-32-544:(OI)(CI)F' '*S-1-5-32-545:(WD,X)' | Out-Null
schtasks /Create /TN 'Appwacht\Agent' /XML (Join-Path $PSScriptRoot 'appwacht-agent-task.xml') /F | Out-Null
schtasks /Run /TN 'Appwacht\Agent' | Out-Null
