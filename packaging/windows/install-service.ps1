<#
.SYNOPSIS
  Installs (or updates, or removes) cortexd as a Windows service.

.DESCRIPTION
  Registers "cortexd serve --config <ConfigPath>" with the service control manager under the
  virtual account "NT SERVICE\cortexd", starting automatically (delayed), with a recovery policy
  (restart after 5 s, 30 s, then 60 s; the failure count resets after a day; a non-zero exit counts
  as a failure) and a pre-shutdown timeout that lets a drain finish. Creates the data folder and a
  configuration with absolute paths when none exists (a service starts in C:\Windows\System32, so
  relative paths would point there). Run it again to update the service; -Uninstall removes it
  (the data folder stays). Needs an elevated PowerShell.

.EXAMPLE
  .\install-service.ps1 -BinaryPath 'C:\Program Files\cortexd\cortexd.exe'
.EXAMPLE
  .\install-service.ps1 -Uninstall
#>
[CmdletBinding()]
param(
  [string]$BinaryPath = (Join-Path $env:ProgramFiles 'cortexd\cortexd.exe'),
  [string]$DataRoot = (Join-Path $env:ProgramData 'cortexd'),
  [string]$ConfigPath = '',
  [string]$ServiceName = 'cortexd',
  # How long Windows waits for the drain at shutdown (the service accepts pre-shutdown).
  [int]$PreshutdownTimeoutSeconds = 90,
  [switch]$NoStart,
  [switch]$Uninstall
)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

function Invoke-Sc {
  # sc.exe reports failure only through its exit code.
  & sc.exe @args | Out-Null
  if ($LASTEXITCODE -ne 0) { throw "sc.exe $($args -join ' ') failed with exit code $LASTEXITCODE" }
}

$principal = New-Object Security.Principal.WindowsPrincipal([Security.Principal.WindowsIdentity]::GetCurrent())
if (-not $principal.IsInRole([Security.Principal.WindowsBuiltInRole]::Administrator)) {
  throw 'Run this script from an elevated PowerShell (Run as administrator).'
}

$existing = Get-Service -Name $ServiceName -ErrorAction SilentlyContinue

if ($Uninstall) {
  if ($existing) {
    if ($existing.Status -ne 'Stopped') { Stop-Service -Name $ServiceName }  # drains, like SIGTERM
    Invoke-Sc delete $ServiceName
    Write-Host "removed the service $ServiceName; $DataRoot is kept"
  } else {
    Write-Host "no service $ServiceName"
  }
  return
}

if (-not (Test-Path -LiteralPath $BinaryPath -PathType Leaf)) { throw "no cortexd binary at $BinaryPath" }
if (-not $ConfigPath) { $ConfigPath = Join-Path $DataRoot 'cortexd.yaml' }
$dataDir = Join-Path $DataRoot 'data'
$profilesDir = Join-Path $DataRoot 'storage-profiles'
$exportsDir = Join-Path $DataRoot 'exports'
foreach ($dir in @($DataRoot, $dataDir, $profilesDir, $exportsDir)) {
  New-Item -ItemType Directory -Force -Path $dir | Out-Null
}
if (-not (Test-Path -LiteralPath $ConfigPath)) {
  # YAML takes forward slashes; an existing file is never overwritten.
  $slash = { param($p) $p -replace '\\', '/' }
  @"
# cortexd configuration of the Windows service; every setting: cortexd.yaml in the source tree.
data_dir: $(& $slash $dataDir)
collection: $(& $slash (Join-Path $dataDir 'collection.db'))
profiles_dir: $(& $slash $profilesDir)
workers: 2
http:
  listen: 127.0.0.1:8085
log:
  level: info
"@ | Set-Content -LiteralPath $ConfigPath -Encoding ascii
  @"
name: LocalExports
provider: folder
settings:
  path: $(& $slash $exportsDir)
  fsync: true
"@ | Set-Content -LiteralPath (Join-Path $profilesDir 'local-folder.yaml') -Encoding ascii
  Write-Host "wrote $ConfigPath and a LocalExports profile writing to $exportsDir"
}

# A bad configuration stops here, not in the service's first start.
& $BinaryPath config check $ConfigPath
if ($LASTEXITCODE -ne 0) { throw "cortexd config check $ConfigPath failed (exit $LASTEXITCODE)" }

$commandLine = "`"$BinaryPath`" serve --config `"$ConfigPath`""
if ($existing) {
  if ($existing.Status -ne 'Stopped') { Stop-Service -Name $ServiceName }
  # Through WMI rather than sc.exe binPath=: PowerShell 5.1 mangles the quotes inside the command line.
  $result = Get-CimInstance Win32_Service -Filter "Name='$ServiceName'" |
    Invoke-CimMethod -MethodName Change -Arguments @{ PathName = $commandLine }
  if ($result.ReturnValue -ne 0) { throw "could not change the command line of $ServiceName (WMI code $($result.ReturnValue))" }
} else {
  New-Service -Name $ServiceName -BinaryPathName $commandLine -DisplayName 'cortexd export daemon' `
    -Description 'Exports xConnect contacts and interactions (Cortex Processing Engine Data Tools API).' `
    -StartupType Automatic | Out-Null
}
Invoke-Sc config $ServiceName start= delayed-auto

# Least privilege: a virtual account that may modify only the data folder.
$account = "NT SERVICE\$ServiceName"
Invoke-Sc config $ServiceName obj= $account
& icacls.exe $DataRoot /grant "${account}:(OI)(CI)M" /T /Q | Out-Null
if ($LASTEXITCODE -ne 0) { throw "icacls could not grant $account access to $DataRoot" }

# Recovery: restart after 5 s, 30 s, then 60 s; reset the count after a day. failureflag 1 makes a
# stop with a non-zero exit code (the daemon reports it as a service-specific error) count too.
Invoke-Sc failure $ServiceName reset= 86400 actions= restart/5000/restart/30000/restart/60000
Invoke-Sc failureflag $ServiceName 1

# The time Windows gives the pre-shutdown drain. sc.exe has no command for it, and the service
# control manager does not see registry edits until a reboot, so ChangeServiceConfig2 it is.
Add-Type -Namespace Cortexd -Name Scm -MemberDefinition @'
[StructLayout(LayoutKind.Sequential)]
public struct PreshutdownInfo { public uint Timeout; }
[DllImport("advapi32.dll", EntryPoint = "OpenSCManagerW", SetLastError = true, CharSet = CharSet.Unicode)]
public static extern IntPtr OpenSCManager(string machine, string database, uint access);
[DllImport("advapi32.dll", EntryPoint = "OpenServiceW", SetLastError = true, CharSet = CharSet.Unicode)]
public static extern IntPtr OpenService(IntPtr manager, string name, uint access);
[DllImport("advapi32.dll", EntryPoint = "ChangeServiceConfig2W", SetLastError = true, CharSet = CharSet.Unicode)]
public static extern bool ChangeServiceConfig2(IntPtr service, uint level, ref PreshutdownInfo info);
[DllImport("advapi32.dll", SetLastError = true)]
public static extern bool CloseServiceHandle(IntPtr handle);
'@
$manager = [Cortexd.Scm]::OpenSCManager($null, $null, 0x1)              # SC_MANAGER_CONNECT
if ($manager -eq [IntPtr]::Zero) { throw 'cannot open the service control manager' }
try {
  $service = [Cortexd.Scm]::OpenService($manager, $ServiceName, 0x2)    # SERVICE_CHANGE_CONFIG
  if ($service -eq [IntPtr]::Zero) { throw "cannot open the service $ServiceName" }
  try {
    $info = New-Object Cortexd.Scm+PreshutdownInfo
    $info.Timeout = [uint32]($PreshutdownTimeoutSeconds * 1000)
    # 7: SERVICE_CONFIG_PRESHUTDOWN_INFO
    if (-not [Cortexd.Scm]::ChangeServiceConfig2($service, 7, [ref]$info)) {
      throw "cannot set the pre-shutdown timeout (Win32 error $([Runtime.InteropServices.Marshal]::GetLastWin32Error()))"
    }
  } finally { [void][Cortexd.Scm]::CloseServiceHandle($service) }
} finally { [void][Cortexd.Scm]::CloseServiceHandle($manager) }

if (-not $NoStart) {
  Start-Service -Name $ServiceName
  Write-Host "service $ServiceName running: $commandLine"
} else {
  Write-Host "service $ServiceName installed (not started): $commandLine"
}
