# Sourced by the scripts: installs the Debian packages the project needs.
# ensure_deps PURPOSE  (test | fuzz)
PTCP_PKGS_TEST="meson ninja-build gcc clang libclang-rt-14-dev llvm libcriterion-dev pkg-config
  libpcap-dev python3 tshark tcpdump iproute2 binutils netcat-openbsd curl iputils-ping ethtool zip unzip"
PTCP_PKGS_FUZZ="$PTCP_PKGS_TEST afl++"

ensure_deps() {
	local want missing=() p
	case "$1" in
	fuzz) want=$PTCP_PKGS_FUZZ ;;
	*) want=$PTCP_PKGS_TEST ;;
	esac
	for p in $want; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
			missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	echo "== installing: ${missing[*]}"
	local sudo=
	if [ "$(id -u)" != 0 ]; then
		if command -v sudo >/dev/null; then
			sudo=sudo
		else
			echo "error: missing packages (${missing[*]}) and not root." >&2
			echo "fix: run as root, or: apt-get install ${missing[*]}" >&2
			exit 1
		fi
	fi
	export DEBIAN_FRONTEND=noninteractive
	$sudo apt-get update -qq
	$sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}
