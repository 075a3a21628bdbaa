#!/usr/bin/env bash
# install.sh: install gemini-live for the current user, with the system library its audio
# path needs (PortAudio), and put a `gemini-live` launcher in ~/.local/bin.
#
#   ./install.sh [options]                                  (from a checkout)
#   curl -fsSL <url>/install.sh | bash -s -- [options]      (anywhere)
#
# Run `install.sh --help` for the options.  Re-running it is safe: it upgrades or
# reinstalls in place.  It asks for sudo only to install system packages.
#
# The whole script is one function called on the last line, so a download cut short
# by the network runs nothing at all.
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: install.sh [options]

Installs gemini-live for this user: with pipx or uv when present, else into a private
virtual environment under the user data directory, with a launcher in ~/.local/bin.

Options:
  --from SRC            what to install: a checkout directory, a wheel or sdist (path or
                        URL), a git URL, or a package index URL.  Default: the checkout this
                        script sits in, else the default package index.
  --version X           install release X from the index (not with a checkout or file).
  --dev                 editable install of a checkout with the test dependencies
                        ([dev,server]), in the private environment.
  --uninstall           remove what install.sh installed (keeps settings and caches).
  --method M            auto (default), pipx, uv or venv (the private environment).
                        Also from $GEMINI_LIVE_INSTALL_METHOD.
  --python PATH         the Python 3.11+ to use (default: the newest found on PATH).
  --system-site-packages
                        let the private environment see that Python's installed packages
                        (reuses e.g. a distribution's numpy instead of downloading it).
  --no-system-deps      do not install system packages; only say what is missing.
  --force               replace a ~/.local/bin/gemini-live that install.sh did not make.
  -h, --help            this text.

Environment: GEMINI_LIVE_BIN_DIR (launcher directory, default ~/.local/bin),
PIP_INDEX_URL and the other pip/uv settings are honoured.
EOF
}

say() { printf '%s\n' "$*"; }
warn() { printf 'install.sh: warning: %s\n' "$*" >&2; }
die() {
  printf 'install.sh: error: %s\n' "$*" >&2
  exit 1
}

# Hide user:token@ in URLs before printing them.
mask() { printf '%s' "$1" | sed -E 's#://[^/@]+@#://***@#'; }

detect_os() {
  case "$(uname -s)" in
    Linux) OS=linux ;;
    Darwin) OS=macos ;;
    *) die "unsupported system $(uname -s); gemini-live installs on Linux and macOS" ;;
  esac
}

detect_package_manager() {
  PM=""
  local candidate
  for candidate in apt-get dnf yum pacman zypper apk brew; do
    if command -v "$candidate" >/dev/null 2>&1; then
      PM=$candidate
      return
    fi
  done
}

# The command that installs the named logical packages with the detected manager.
pm_packages() {
  local what=$1
  case "$PM:$what" in
    apt-get:portaudio | zypper:portaudio) printf 'libportaudio2' ;;
    dnf:portaudio | yum:portaudio | pacman:portaudio | apk:portaudio | brew:portaudio) printf 'portaudio' ;;
    apt-get:venv) printf 'python%s-venv' "$PY_VERSION" ;;
    *:python)
      case "$PM" in
        apt-get) printf 'python3 python3-venv' ;;
        dnf | yum) printf 'python3.11' ;;
        pacman) printf 'python' ;;
        zypper) printf 'python311' ;;
        apk) printf 'python3' ;;
        brew) printf 'python@3.12' ;;
      esac
      ;;
    *) printf '' ;;
  esac
}

pm_command() {
  local pkgs=$1 sudo=""
  if [ "$PM" != brew ] && [ "$(id -u)" -ne 0 ]; then sudo="sudo "; fi
  case "$PM" in
    apt-get) printf '%sapt-get install -y %s' "$sudo" "$pkgs" ;;
    dnf | yum) printf '%s%s install -y %s' "$sudo" "$PM" "$pkgs" ;;
    pacman) printf '%spacman -S --needed --noconfirm %s' "$sudo" "$pkgs" ;;
    zypper) printf '%szypper --non-interactive install %s' "$sudo" "$pkgs" ;;
    apk) printf '%sapk add %s' "$sudo" "$pkgs" ;;
    brew) printf 'brew install %s' "$pkgs" ;;
  esac
}

# Install system packages, or print the exact command when that is not possible.
# Returns non-zero when the packages are still missing.
install_system_packages() {
  local pkgs=$1 why=$2 cmd
  if [ -z "$PM" ] || [ -z "$pkgs" ]; then
    warn "$why is missing and no known package manager was found; install it by hand"
    return 1
  fi
  cmd=$(pm_command "$pkgs")
  if [ "$SYSTEM_DEPS" -eq 0 ]; then
    say "$why is missing; install it with: $cmd"
    return 1
  fi
  if [ "$PM" != brew ] && [ "$(id -u)" -ne 0 ] && ! command -v sudo >/dev/null 2>&1; then
    warn "$why is missing and sudo is not available; as root run: ${cmd#sudo }"
    return 1
  fi
  say "installing $why: $cmd"
  # stdin from /dev/null: under `curl | bash` stdin is this script.
  if sh -c "$cmd" </dev/null; then
    return 0
  fi
  if [ "$PM" = apt-get ]; then
    # A fresh machine may have no package lists yet.
    local update="apt-get update"
    [ "$(id -u)" -eq 0 ] || update="sudo apt-get update"
    if sh -c "$update && $cmd" </dev/null; then
      return 0
    fi
  fi
  warn "could not install $why; run: $cmd"
  return 1
}

python_ok() {
  "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' >/dev/null 2>&1
}

find_python() {
  local candidate
  if [ -n "$PYTHON" ]; then
    python_ok "$PYTHON" || die "--python $PYTHON is not a working Python 3.11 or newer"
    PY=$PYTHON
  else
    PY=""
    for candidate in python3.13 python3.12 python3.11 python3 python; do
      if command -v "$candidate" >/dev/null 2>&1 && python_ok "$candidate"; then
        PY=$(command -v "$candidate")
        break
      fi
    done
  fi
  if [ -z "$PY" ]; then
    local pkgs
    pkgs=$(pm_packages python)
    if [ -n "$pkgs" ]; then
      die "gemini-live needs Python 3.11 or newer; install it with: $(pm_command "$pkgs")"
    fi
    die "gemini-live needs Python 3.11 or newer; install it from https://www.python.org/downloads/"
  fi
  PY_VERSION=$("$PY" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
  say "Python: $PY ($PY_VERSION)"
}

portaudio_present() {
  local ldconfig
  for ldconfig in ldconfig /sbin/ldconfig /usr/sbin/ldconfig; do
    if command -v "$ldconfig" >/dev/null 2>&1; then
      if "$ldconfig" -p 2>/dev/null | grep -q 'libportaudio\.so\.2'; then
        return 0
      fi
      break
    fi
  done
  compgen -G '/usr/lib*/libportaudio.so.2*' >/dev/null ||
    compgen -G '/usr/lib*/*/libportaudio.so.2*' >/dev/null ||
    compgen -G '/usr/local/lib/libportaudio.so.2*' >/dev/null
}

ensure_system_libraries() {
  if [ "$OS" = macos ]; then
    # The sounddevice wheels for macOS carry their own PortAudio.
    say "PortAudio: bundled with sounddevice on macOS"
    return
  fi
  if portaudio_present; then
    say "PortAudio: found"
  elif install_system_packages "$(pm_packages portaudio)" "PortAudio (voice)"; then
    say "PortAudio: installed"
  else
    say "PortAudio: missing; gemini-live works, but /mic and /speak will say what to install"
  fi
  # The default echo canceller is pure numpy: no further system library is needed.
}

ensure_venv_module() {
  if "$PY" -c 'import ensurepip, venv' >/dev/null 2>&1; then
    return
  fi
  # Debian and Ubuntu split venv/ensurepip into pythonX.Y-venv.
  install_system_packages "$(pm_packages venv)" "Python's venv module" ||
    die "$PY cannot create virtual environments; install the package above and run install.sh again"
}

is_checkout() {
  [ -f "$1/pyproject.toml" ] && grep -Eq '^name = "gemini-live"' "$1/pyproject.toml"
}

# Sets SPEC (what pip installs), INDEX (an index URL or "") and CHECKOUT (a directory or "").
resolve_source() {
  SPEC="" INDEX="" CHECKOUT=""
  local here="" src=$FROM script=${BASH_SOURCE[0]:-}
  if [ -n "$script" ] && [ -f "$script" ]; then
    here=$(cd "$(dirname "$script")" && pwd)
  fi
  if [ -z "$src" ] && [ -n "$here" ] && is_checkout "$here"; then
    src=$here
  fi
  if [ -z "$src" ]; then
    SPEC="gemini-live${VERSION:+==$VERSION}"
  elif [ -d "$src" ]; then
    is_checkout "$src" || die "--from $src: not a gemini-live checkout (no pyproject.toml naming gemini-live)"
    CHECKOUT=$(cd "$src" && pwd)
    SPEC=$CHECKOUT
  elif [ -f "$src" ]; then
    case "$src" in
      *.whl | *.tar.gz | *.zip) SPEC=$(cd "$(dirname "$src")" && pwd)/$(basename "$src") ;;
      *) die "--from $src: not a wheel (.whl) or sdist (.tar.gz, .zip)" ;;
    esac
  else
    case "$src" in
      git+*) SPEC="gemini-live @ $src" ;;
      http://*.git | https://*.git | ssh://*.git) SPEC="gemini-live @ git+$src" ;;
      http://*.whl | https://*.whl | http://*.tar.gz | https://*.tar.gz | http://*.zip | https://*.zip | file://*.whl | file://*.tar.gz)
        SPEC="gemini-live @ $src" ;;
      http://* | https://* | file://*)
        SPEC="gemini-live${VERSION:+==$VERSION}"
        INDEX=$src
        ;;
      *) die "--from $src: no such file or directory, and not an http(s), file or git URL" ;;
    esac
  fi
  if [ -n "$VERSION" ] && [ "$SPEC" != "gemini-live==$VERSION" ]; then
    die "--version applies to an index source only, not to $(mask "$src")"
  fi
  if [ "$DEV" -eq 1 ] && [ -z "$CHECKOUT" ]; then
    die "--dev needs a checkout: run it from one, or pass --from DIR"
  fi
  if [ "$DEV" -eq 1 ]; then
    SPEC="${CHECKOUT}[dev,server]"
  fi
  say "Source: $(mask "${src:-the package index}")"
}

data_dir() {
  if [ "$OS" = macos ]; then
    printf '%s/Library/Application Support/gemini-live' "$HOME"
  else
    printf '%s/gemini-live' "${XDG_DATA_HOME:-$HOME/.local/share}"
  fi
}

# Whether $1 is a launcher install.sh made (a symlink into our private venv).
our_launcher() {
  [ -L "$1" ] && case "$(readlink "$1")" in "$VENV"/*) true ;; *) false ;; esac
}

remove_private_venv() {
  if our_launcher "$LAUNCHER"; then
    rm -f "$LAUNCHER"
    say "removed $LAUNCHER"
  fi
  if [ -f "$VENV/.gemini-live-installer" ]; then
    rm -rf "$VENV"
    say "removed $VENV"
  fi
}

pipx_has() { command -v pipx >/dev/null 2>&1 && pipx list --short 2>/dev/null | grep -q '^gemini-live '; }
uv_has() { command -v uv >/dev/null 2>&1 && uv tool list 2>/dev/null | grep -q '^gemini-live '; }

uninstall() {
  local removed=0
  if pipx_has; then pipx uninstall gemini-live </dev/null && removed=1; fi
  if uv_has; then uv tool uninstall gemini-live </dev/null && removed=1; fi
  if our_launcher "$LAUNCHER" || [ -f "$VENV/.gemini-live-installer" ]; then
    remove_private_venv
    removed=1
  fi
  if [ "$removed" -eq 0 ]; then
    say "gemini-live: nothing installed by install.sh was found"
  else
    say "gemini-live uninstalled; settings and caches stay in ~/.config/gemini-live and ~/.cache/gemini-live"
  fi
}

check_launcher_free() {
  if [ -e "$LAUNCHER" ] || [ -L "$LAUNCHER" ]; then
    if ! our_launcher "$LAUNCHER" && [ "$FORCE" -eq 0 ]; then
      die "$LAUNCHER exists and install.sh did not make it; run install.sh --uninstall or pass --force"
    fi
  fi
}

install_with_venv() {
  local want_site=false cfg
  [ "$SYSTEM_SITE" -eq 1 ] && want_site=true
  if [ -d "$VENV" ] && [ ! -f "$VENV/.gemini-live-installer" ] && [ -n "$(ls -A "$VENV")" ]; then
    die "$VENV exists and install.sh did not make it; move it away first"
  fi
  # Reuse a working environment of the same kind; otherwise start afresh.
  if [ -x "$VENV/bin/python" ] && python_ok "$VENV/bin/python" && [ -f "$VENV/pyvenv.cfg" ]; then
    cfg=$(sed -n 's/^include-system-site-packages *= *//p' "$VENV/pyvenv.cfg")
    if [ "$cfg" != "$want_site" ]; then
      rm -rf "$VENV"
    fi
  else
    rm -rf "$VENV"
  fi
  if [ ! -d "$VENV" ]; then
    ensure_venv_module
    mkdir -p "$(dirname "$VENV")"
    if [ "$SYSTEM_SITE" -eq 1 ]; then
      # That Python's own pip and setuptools are visible; a private copy of the older
      # ones ensurepip bundles would only shadow them.
      "$PY" -m venv --system-site-packages --without-pip "$VENV"
      "$VENV/bin/python" -m pip --version >/dev/null 2>&1 || "$VENV/bin/python" -m ensurepip -q
    else
      "$PY" -m venv "$VENV"
    fi
    say "created $VENV"
  fi
  printf 'made by gemini-live install.sh; gemini-live update upgrades this environment\n' \
    >"$VENV/.gemini-live-installer"
  local args=(-m pip install --upgrade --disable-pip-version-check)
  if [ "$DEV" -eq 1 ]; then args+=(-e); fi
  "$VENV/bin/python" "${args[@]}" "$SPEC" </dev/null || install_failed
  mkdir -p "$BIN_DIR"
  ln -sfn "$VENV/bin/gemini-live" "$LAUNCHER"
}

install_with_pipx() {
  PIPX_BIN_DIR=$BIN_DIR pipx install --force --python "$PY" "$SPEC" </dev/null || install_failed
}

install_with_uv() {
  UV_TOOL_BIN_DIR=$BIN_DIR uv tool install --force --reinstall --python "$PY" "$SPEC" </dev/null ||
    install_failed
}

install_failed() {
  if [ -z "$CHECKOUT" ] && [ "${SPEC%%==*}" = gemini-live ]; then
    die "could not install $SPEC from $(mask "${INDEX:-the default package index}"); if it is not published there, pass --from with a checkout, wheel, git URL or index"
  fi
  die "could not install $(mask "$SPEC") (see the installer's message above)"
}

pick_method() {
  case "$METHOD" in
    auto)
      if [ "$DEV" -eq 1 ]; then
        METHOD=venv
      elif command -v pipx >/dev/null 2>&1; then
        METHOD=pipx
      elif command -v uv >/dev/null 2>&1; then
        METHOD=uv
      else
        METHOD=venv
      fi
      ;;
    pipx | uv)
      command -v "$METHOD" >/dev/null 2>&1 || die "--method $METHOD: $METHOD is not on PATH"
      [ "$DEV" -eq 0 ] || die "--dev installs into the private environment; use --method venv"
      ;;
    venv) ;;
    *) die "--method $METHOD: use auto, pipx, uv or venv" ;;
  esac
  say "Method: $METHOD"
}

path_hint() {
  case ":$PATH:" in
    *":$BIN_DIR:"*) return ;;
  esac
  local rc="\$HOME/.profile"
  case "${SHELL:-}" in
    */zsh) rc="\$HOME/.zshrc" ;;
    */bash) rc="\$HOME/.bashrc" ;;
    */fish)
      say "note: $BIN_DIR is not on your PATH; run: fish_add_path $BIN_DIR"
      return
      ;;
  esac
  say "note: $BIN_DIR is not on your PATH; add it with:"
  say "  echo 'export PATH=\"$BIN_DIR:\$PATH\"' >> $rc && export PATH=\"$BIN_DIR:\$PATH\""
  say "or run $LAUNCHER directly"
}

main() {
  FROM="" VERSION="" DEV=0 UNINSTALL=0 SYSTEM_DEPS=1 SYSTEM_SITE=0 FORCE=0
  METHOD=${GEMINI_LIVE_INSTALL_METHOD:-auto}
  PYTHON=${GEMINI_LIVE_PYTHON:-}
  while [ $# -gt 0 ]; do
    case "$1" in
      --from) [ $# -ge 2 ] || die "--from needs a value"; FROM=$2; shift ;;
      --from=*) FROM=${1#*=} ;;
      --version) [ $# -ge 2 ] || die "--version needs a value"; VERSION=$2; shift ;;
      --version=*) VERSION=${1#*=} ;;
      --method) [ $# -ge 2 ] || die "--method needs a value"; METHOD=$2; shift ;;
      --method=*) METHOD=${1#*=} ;;
      --python) [ $# -ge 2 ] || die "--python needs a value"; PYTHON=$2; shift ;;
      --python=*) PYTHON=${1#*=} ;;
      --dev) DEV=1 ;;
      --uninstall) UNINSTALL=1 ;;
      --system-site-packages) SYSTEM_SITE=1 ;;
      --no-system-deps) SYSTEM_DEPS=0 ;;
      --force) FORCE=1 ;;
      -h | --help) usage; exit 0 ;;
      *) die "unknown option $1 (see --help)" ;;
    esac
    shift
  done
  [ -n "${HOME:-}" ] || die "HOME is not set"
  BIN_DIR=${GEMINI_LIVE_BIN_DIR:-$HOME/.local/bin}
  LAUNCHER=$BIN_DIR/gemini-live
  detect_os
  VENV="$(data_dir)/venv"
  if [ "$UNINSTALL" -eq 1 ]; then
    uninstall
    return
  fi
  detect_package_manager
  PY_VERSION=""
  find_python
  resolve_source
  if [ -n "$INDEX" ]; then
    # The index reaches pip and uv through the environment, never the command line,
    # where a token in it would show in the process list.
    export PIP_INDEX_URL=$INDEX UV_INDEX_URL=$INDEX
  fi
  pick_method
  ensure_system_libraries
  # Only one copy at a time: drop the copy another method made before.
  if [ "$METHOD" = venv ]; then
    if pipx_has; then pipx uninstall gemini-live </dev/null >/dev/null; fi
    if uv_has; then uv tool uninstall gemini-live </dev/null >/dev/null; fi
    check_launcher_free
    install_with_venv
  elif [ "$METHOD" = pipx ]; then
    remove_private_venv
    if uv_has; then uv tool uninstall gemini-live </dev/null >/dev/null; fi
    pipx_has || check_launcher_free
    install_with_pipx
  else
    remove_private_venv
    if pipx_has; then pipx uninstall gemini-live </dev/null >/dev/null; fi
    uv_has || check_launcher_free
    install_with_uv
  fi
  local version
  version=$(GEMINI_LIVE_NO_UPDATE_CHECK=1 "$LAUNCHER" --version 2>&1) ||
    die "the installed launcher $LAUNCHER does not start: $version"
  say "installed: $version"
  say "launcher: $LAUNCHER"
  path_hint
  say "try it: $LAUNCHER --backend local"
}

main "$@"
