; Appwacht for Windows: per-machine NSIS installer (issue 11). Compiled by scripts/packaging/windows-installers.mjs with
;   makensis -INPUTCHARSET UTF8 -DVERSION=0.1.0 -DPAYLOAD=<win-unpacked folder> -DOUTFILE=<exe> build/windows/appwacht.nsi
; (Debian's nsis package or NSIS 3 on Windows). The payload is electron-builder's win-unpacked folder: the tray app,
; agent\ (the bundled CLI), runtime\node.exe (Node LTS) and service\ (the SYSTEM task and its scripts).
;
; Silent install, as IT runs it (Intune Win32 app, SCCM, GPO startup script):
;   Appwacht-Setup-0.1.0.exe /S /SERVER=https://appwacht.intranet.example /SECRET=<enrollment secret> /POLICYKEY=<base64 key>
; The three settings go to HKLM\SOFTWARE\Policies\Appwacht (ServerUrl, EnrollmentSecret, PolicyPublicKey), where the agent
; reads IT's settings (agent/config/managed.windows.ts) and where a GPO with the ADMX (build/windows/policy) writes them
; too. Omitted switches leave what is there (a GPO may own them). The folder is fixed (the SYSTEM task names
; %ProgramFiles%\Appwacht): do not pass /D. Uninstall: "<dir>\Uninstall.exe" /S [/PURGE]; without
; /PURGE the settings and the agent's state (device token) stay for a reinstall.
Unicode true
ManifestDPIAware true
RequestExecutionLevel admin
SetCompressor /SOLID lzma

!include "FileFunc.nsh"
!include "LogicLib.nsh"
!include "x64.nsh"

!ifndef VERSION
  !error "define VERSION (-DVERSION=0.1.0)"
!endif
!ifndef PAYLOAD
  !error "define PAYLOAD (-DPAYLOAD=out\win-unpacked)"
!endif
!ifndef OUTFILE
  !define OUTFILE "Appwacht-Setup-${VERSION}.exe"
!endif

!define PRODUCT "Appwacht"
!define POLICY_KEY "SOFTWARE\Policies\Appwacht"
!define UNINSTALL_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\Appwacht"
!define RUN_KEY "Software\Microsoft\Windows\CurrentVersion\Run"
!define TRAY_EXE "appwacht-tray.exe"

Name "${PRODUCT}"
OutFile "${OUTFILE}"
InstallDir "$PROGRAMFILES64\Appwacht"
BrandingText "${PRODUCT} ${VERSION}"
VIProductVersion "${VERSION}.0"
VIAddVersionKey "ProductName" "${PRODUCT}"
VIAddVersionKey "FileVersion" "${VERSION}"
VIAddVersionKey "ProductVersion" "${VERSION}"
VIAddVersionKey "FileDescription" "${PRODUCT} installer"
VIAddVersionKey "LegalCopyright" "Stadtverwaltung (Appwacht)"

Page directory
Page instfiles
UninstPage uninstConfirm
UninstPage instfiles

; The installer's own texts in German and English (Windows' UI language picks one; English for any other).
LoadLanguageFile "${NSISDIR}\Contrib\Language files\English.nlf"
LoadLanguageFile "${NSISDIR}\Contrib\Language files\German.nlf"
LangString Needs64Bit ${LANG_ENGLISH} "Appwacht needs 64-bit Windows."
LangString Needs64Bit ${LANG_GERMAN} "Appwacht benötigt 64-Bit-Windows."
LangString TaskFailed ${LANG_ENGLISH} "Registering the Appwacht agent task failed"
LangString TaskFailed ${LANG_GERMAN} "Die Aufgabe des Appwacht-Agenten konnte nicht eingerichtet werden"


Var ServerUrl
Var Secret
Var PolicyKey

Function .onInit
  ${IfNot} ${RunningX64}
    MessageBox MB_ICONSTOP "$(Needs64Bit)" /SD IDOK
    Abort
  ${EndIf}
  SetRegView 64
  SetShellVarContext all
  ${GetParameters} $R0
  ClearErrors
  ${GetOptions} $R0 "/SERVER=" $ServerUrl
  ${GetOptions} $R0 "/SECRET=" $Secret
  ${GetOptions} $R0 "/POLICYKEY=" $PolicyKey
FunctionEnd

; A value given on the command line is written; one not given is left as it is (a GPO or an earlier install set it).
!macro WritePolicy NAME VAR
  ${If} ${VAR} != ""
    WriteRegStr HKLM "${POLICY_KEY}" "${NAME}" ${VAR}
  ${EndIf}
!macroend

Section "Appwacht" SecMain
  SectionIn RO
  ; An upgrade replaces the files of a running agent: stop it first (the task is registered again below).
  IfFileExists "$INSTDIR\service\uninstall-agent.ps1" 0 +2
    nsExec::Exec '"$SYSDIR\WindowsPowerShell\v1.0\powershell.exe" -NoProfile -NonInteractive -ExecutionPolicy Bypass -File "$INSTDIR\service\uninstall-agent.ps1"'

  SetOutPath "$INSTDIR"
  File /r "${PAYLOAD}\*.*"
  WriteUninstaller "$INSTDIR\Uninstall.exe"

  !insertmacro WritePolicy "ServerUrl" $ServerUrl
  !insertmacro WritePolicy "EnrollmentSecret" $Secret
  !insertmacro WritePolicy "PolicyPublicKey" $PolicyKey

  ; The tray for every user who logs on (HKLM Run); closing it never stops the agent.
  WriteRegStr HKLM "${RUN_KEY}" "Appwacht" '"$INSTDIR\${TRAY_EXE}"'

  ; Apps & features entry, with a silent uninstall string for Intune/SCCM.
  WriteRegStr HKLM "${UNINSTALL_KEY}" "DisplayName" "${PRODUCT}"
  WriteRegStr HKLM "${UNINSTALL_KEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKLM "${UNINSTALL_KEY}" "Publisher" "Stadtverwaltung (Appwacht)"
  WriteRegStr HKLM "${UNINSTALL_KEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKLM "${UNINSTALL_KEY}" "DisplayIcon" "$INSTDIR\${TRAY_EXE}"
  WriteRegStr HKLM "${UNINSTALL_KEY}" "UninstallString" '"$INSTDIR\Uninstall.exe"'
  WriteRegStr HKLM "${UNINSTALL_KEY}" "QuietUninstallString" '"$INSTDIR\Uninstall.exe" /S'
  WriteRegDWORD HKLM "${UNINSTALL_KEY}" "NoModify" 1
  WriteRegDWORD HKLM "${UNINSTALL_KEY}" "NoRepair" 1
  ${GetSize} "$INSTDIR" "/S=0K" $0 $1 $2
  WriteRegDWORD HKLM "${UNINSTALL_KEY}" "EstimatedSize" $0

  ; The headless agent: a SYSTEM task at boot (build/windows/appwacht-agent-task.xml), started now; the script also
  ; locks %ProgramData%\Appwacht down to SYSTEM and Administrators.
  nsExec::ExecToLog '"$SYSDIR\WindowsPowerShell\v1.0\powershell.exe" -NoProfile -NonInteractive -ExecutionPolicy Bypass -File "$INSTDIR\service\install-agent.ps1"'
  Pop $0
  ${If} $0 != 0
    DetailPrint "$(TaskFailed) ($0)"
    SetErrorLevel 3
  ${EndIf}
SectionEnd

Function un.onInit
  SetRegView 64
  SetShellVarContext all
FunctionEnd

Section "Uninstall"
  nsExec::ExecToLog '"$SYSDIR\WindowsPowerShell\v1.0\powershell.exe" -NoProfile -NonInteractive -ExecutionPolicy Bypass -File "$INSTDIR\service\uninstall-agent.ps1"'
  DeleteRegValue HKLM "${RUN_KEY}" "Appwacht"
  DeleteRegKey HKLM "${UNINSTALL_KEY}"
  RMDir /r "$INSTDIR"

  ; Settings and state stay unless asked (/PURGE): a reinstall then reports as the same device.
  ${GetParameters} $R0
  ClearErrors
  ${GetOptions} $R0 "/PURGE" $R1
  ${IfNot} ${Errors}
    DeleteRegKey HKLM "${POLICY_KEY}"
    RMDir /r "$COMMONPROGRAMDATA\Appwacht"
  ${EndIf}
SectionEnd
