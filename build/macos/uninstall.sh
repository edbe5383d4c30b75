#!/bin/sh
# Removes Appwacht from a Mac (pkgs have no uninstaller); run as root: sudo sh uninstall.sh [--purge]
# Keeps the agent's state (/Library/Application Support/Appwacht: the device token) unless --purge. IT's settings come
# from the MDM profile: remove the profile in the MDM.
set -e
[ "$(id -u)" -eq 0 ] || { echo "run as root: sudo sh $0 [--purge]" >&2; exit 1; }
CONSOLE_UID=$(/usr/bin/stat -f %u /dev/console 2>/dev/null || echo 0)
[ "$CONSOLE_UID" -gt 0 ] 2>/dev/null && /bin/launchctl bootout "gui/$CONSOLE_UID/de.appwacht.tray" 2>/dev/null || true
/bin/launchctl bootout system/de.appwacht.agent 2>/dev/null || true
rm -f /Library/LaunchDaemons/de.appwacht.agent.plist /Library/LaunchAgents/de.appwacht.tray.plist
rm -rf /Applications/Appwacht.app /var/run/appwacht
/usr/sbin/pkgutil --forget de.appwacht.agent >/dev/null 2>&1 || true
if [ "$1" = "--purge" ]; then rm -rf "/Library/Application Support/Appwacht" /Library/Logs/Appwacht; fi
echo "Appwacht removed$([ "$1" = "--purge" ] && echo ', with its state')."
