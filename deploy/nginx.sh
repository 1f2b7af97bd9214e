# nginx.sh: the TLS front (nginx, as in PMM Server) for deploy/suite.sh,
# which sources this file after its settings (ROOT, VAR, BIND, GRPC_PORT,
# REST_PORT, conf_escape, die, say).
#   nginx_init     $VAR/nginx, and a self-signed certificate on first start
#   nginx_render   $VAR/nginx/nginx.conf from deploy/nginx.conf.in, checked by nginx -t
#   nginx_program  the supervisord [program:nginx] section
#   nginx_endpoints  lines for suite.sh's list of addresses
# Ports: 8443 (TLS, HTTP/2) and 8080 (plain), or PMM_PORT_BASE+7 / +8.
# PMM_NGINX_BIN is the binary (default Debian's /usr/sbin/nginx). A
# certificate.crt/certificate.key pair put into $VAR/nginx beforehand is
# used as it is; the generated one is renewed when it is about to expire.

NGINX_BIN=${PMM_NGINX_BIN:-/usr/sbin/nginx}
NGINX_CERT_DAYS=365 # as PMM Server's generate-ssl-certificate
if [ -n "${PMM_PORT_BASE:-}" ]; then
    NGINX_TLS_PORT=$((PMM_PORT_BASE + 7))
    NGINX_HTTP_PORT=$((PMM_PORT_BASE + 8))
    NGINX_VM_PORT=${VM_PORT:-$((PMM_PORT_BASE + 5))}
    NGINX_VMALERT_PORT=${VMALERT_PORT:-$((PMM_PORT_BASE + 6))}
else
    NGINX_TLS_PORT=8443
    NGINX_HTTP_PORT=8080
    NGINX_VM_PORT=${VM_PORT:-9090}
    NGINX_VMALERT_PORT=${VMALERT_PORT:-8880}
fi
# qan-api2's JSON API (upstream's 9922), behind /v1/qan/
NGINX_QAN_JSON=${PMM_QAN_API_JSON_ADDR:-127.0.0.1:9922}

# As root the master keeps root and the workers run as Debian's nginx user;
# they write request and response bodies that do not fit in memory under
# $VAR/nginx, so they must be able to reach it.
if [ "$(id -u)" -eq 0 ]; then
    NGINX_WORKER_USER=www-data
else
    NGINX_WORKER_USER=
fi

# The address nginx dials for a daemon bound to $BIND.
nginx_dial_host() {
    case $BIND in
        0.0.0.0 | '') echo 127.0.0.1 ;;
        ::) echo '[::1]' ;;
        *:*) echo "[$BIND]" ;;
        *) echo "$BIND" ;;
    esac
}

nginx_listen_host() {
    case $BIND in
        *:*) echo "[$BIND]" ;;
        *) echo "$BIND" ;;
    esac
}

nginx_generate_cert() {
    dir=$VAR/nginx
    (
        umask 077
        openssl req -x509 -nodes -days "$NGINX_CERT_DAYS" -newkey rsa:2048 \
            -subj "/O=Main Org./CN=pmm-server" \
            -addext "subjectAltName=DNS:localhost,DNS:pmm-server,IP:127.0.0.1,IP:::1" \
            -keyout "$dir/certificate.key.tmp" -out "$dir/certificate.crt.tmp" \
            >"$dir/openssl.log" 2>&1
    ) || { cat "$dir/openssl.log" >&2; die "openssl could not make a certificate"; }
    chmod 644 "$dir/certificate.crt.tmp"
    mv "$dir/certificate.key.tmp" "$dir/certificate.key"
    mv "$dir/certificate.crt.tmp" "$dir/certificate.crt"
    rm -f "$dir/openssl.log"
    touch "$dir/certificate.generated"
    say "self-signed TLS certificate for nginx written to $dir/certificate.crt"
}

nginx_init() {
    case $VAR in
        *[[:space:]\"\'\\\$\;\{\}\#]*) die "nginx cannot take the var dir $VAR: no spaces, quotes, \\, \$, ;, {, }, #" ;;
    esac
    [ -x "$NGINX_BIN" ] || die "no $NGINX_BIN: install nginx (deploy/install-deps.sh), or set PMM_NGINX_BIN"
    mkdir -p "$VAR/nginx"
    dir=$VAR/nginx
    if [ ! -f "$dir/certificate.crt" ] || [ ! -f "$dir/certificate.key" ]; then
        nginx_generate_cert
    elif [ -f "$dir/certificate.generated" ] &&
        ! openssl x509 -checkend 86400 -noout -in "$dir/certificate.crt" >/dev/null 2>&1; then
        say "the generated TLS certificate expires within a day: making a new one"
        nginx_generate_cert
    fi
    if [ -n "$NGINX_WORKER_USER" ]; then
        chmod o+x "$VAR" "$dir"
        runuser -u "$NGINX_WORKER_USER" -- test -x "$dir" ||
            die "user $NGINX_WORKER_USER (nginx workers) cannot reach $dir: every parent of $VAR must be traversable (chmod o+x)"
    fi
}

# sed replacement text: escape \, & and the | delimiter.
nginx_sed_value() { printf '%s' "$1" | sed 's/[\\&|]/\\&/g'; }

nginx_render() {
    dial=$(nginx_dial_host)
    listen=$(nginx_listen_host)
    user_line=
    [ -z "$NGINX_WORKER_USER" ] || user_line="user $NGINX_WORKER_USER;"
    # An agent stream holds a client and an upstream connection: the
    # workers take as many files as the hard limit allows (up to 65536,
    # never asking for more, which would log an alert at every start) and
    # half of them as connections.
    nofile=$(ulimit -Hn)
    case $nofile in unlimited | *[!0-9]* | '') nofile=65536 ;; esac
    [ "$nofile" -le 65536 ] || nofile=65536
    sed -e "s|@VAR@|$(nginx_sed_value "$VAR")|g" \
        -e "s|@USER_LINE@|$user_line|" \
        -e "s|@NOFILE@|$nofile|" \
        -e "s|@WORKER_CONNECTIONS@|$((nofile / 2))|" \
        -e "s|@LISTEN_TLS@|$(nginx_sed_value "$listen:$NGINX_TLS_PORT")|" \
        -e "s|@LISTEN_HTTP@|$(nginx_sed_value "$listen:$NGINX_HTTP_PORT")|" \
        -e "s|@GRPC_UPSTREAM@|$(nginx_sed_value "$dial:$GRPC_PORT")|" \
        -e "s|@REST_UPSTREAM@|$(nginx_sed_value "$dial:$REST_PORT")|" \
        -e "s|@VM_UPSTREAM@|$(nginx_sed_value "$dial:$NGINX_VM_PORT")|g" \
        -e "s|@VMALERT_UPSTREAM@|$(nginx_sed_value "$dial:$NGINX_VMALERT_PORT")|g" \
        -e "s|@VMPROXY_UPSTREAM@|$(nginx_sed_value "127.0.0.1:$VMPROXY_PORT")|g" \
        -e "s|@QAN_JSON_UPSTREAM@|$(nginx_sed_value "$NGINX_QAN_JSON")|g" \
        "$ROOT/deploy/nginx.conf.in" >"$VAR/nginx/nginx.conf.tmp"
    # the access log goes to /dev/stdout, which under supervisord is nginx's
    # own pipe; here stdout may be a terminal or pipe nginx cannot reopen
    "$NGINX_BIN" -t -q -e stderr -p "$VAR/nginx" -c "$VAR/nginx/nginx.conf.tmp" >/dev/null ||
        die "nginx rejects $VAR/nginx/nginx.conf.tmp"
    mv "$VAR/nginx/nginx.conf.tmp" "$VAR/nginx/nginx.conf"
}

nginx_program() {
    cat <<EOF

[program:nginx]
command=$(conf_escape "$NGINX_BIN") -e stderr -p $(conf_escape "$VAR/nginx") -c $(conf_escape "$VAR/nginx/nginx.conf") -g 'daemon off;'
directory=$(conf_escape "$VAR")
priority=40
autostart=true
autorestart=true
startsecs=1
startretries=1000
stopsignal=TERM
stopwaitsecs=10
killasgroup=true
stdout_logfile=$(conf_escape "$VAR/log/nginx.log")
stdout_logfile_maxbytes=50MB
stdout_logfile_backups=3
redirect_stderr=true
EOF
}

nginx_endpoints() {
    echo "  nginx TLS   https://$BIND:$NGINX_TLS_PORT  (HTTP/2, gRPC and /v1/; certificate $VAR/nginx/certificate.crt)"
    echo "  nginx HTTP  http://$BIND:$NGINX_HTTP_PORT"
}
