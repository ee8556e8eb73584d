# Shared by the benchmark scripts (sourced): free ports, waiting for a port, Mosquitto installed and configured.

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Installs Mosquitto with apt-get when it is missing; sets mosquitto_bin.
ensure_mosquitto() {
  if ! command -v mosquitto >/dev/null && [[ ! -x /usr/sbin/mosquitto ]]; then
    echo "== installing mosquitto (apt-get)"
    local sudo_=""
    ((EUID == 0)) || sudo_=sudo
    DEBIAN_FRONTEND=noninteractive $sudo_ apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_ apt-get install -y -qq --no-install-recommends mosquitto >/dev/null
  fi
  mosquitto_bin=$(command -v mosquitto || echo /usr/sbin/mosquitto)
}

# A minimal Mosquitto config on 127.0.0.1:$1, written to $2: anonymous, no connection cap, nothing on disk.
write_mosquitto_conf() {
  printf 'listener %s 127.0.0.1\nallow_anonymous true\nmax_connections -1\npersistence false\nlog_dest none\n' \
    "$1" >"$2"
}

# Thousands of connections need their open files (Mosquitto inherits this limit; the app raises its own).
raise_open_files() { ulimit -n "$(ulimit -Hn)" 2>/dev/null || ulimit -n 65536 2>/dev/null || true; }
