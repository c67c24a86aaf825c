#!/usr/bin/env bash
# Builds Fogwise's container images on the local Docker engine without any registry:
#   fogwise/base        a jlink-ed Java runtime from this machine's JDK, its shared libraries, a non-root
#                       user 'fogwise' (uid 10001); imported from a rootfs tarball (one layer)
#   fogwise/app         base + fogwise.jar and its lib/ under /opt/fogwise (one layer)
#   fogwise/hub         app + nats-server, sh, sleep, setsid (one small layer)
#   fogwise/gateway, fogwise/cloud, fogwise/edge, fogwise/publisher, fogwise/subscriber
#                       app + entry point and environment only (no layer)
#
# Usage: images/build.sh [--no-jar-build] [--json FILE] [--keep-work]
#   --no-jar-build   never run Maven; cli/target/fogwise.jar must exist (env FOGWISE_NO_JAR_BUILD=1 too)
#   --json FILE      also write each image's name, size in bytes and build seconds to FILE
#   --keep-work      keep the work directory (rootfs, build contexts) and print where it is
#   --force          build even when every image was built from the same inputs already
# Images already built from the same inputs (jar, its libraries, Dockerfiles, this script, the JDK,
# nats-server: label io.fogwise.inputs) are left alone; an image a rebuild replaces is removed.
# Env: FOGWISE_IMAGE_TAG (default latest), DOCKER_HOST as the docker CLI reads it.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
TAG="${FOGWISE_IMAGE_TAG:-latest}"
NO_JAR_BUILD="${FOGWISE_NO_JAR_BUILD:-0}"
JSON=""
KEEP=0
FORCE=0
ROLES=(gateway cloud edge publisher subscriber)
ALL_IMAGES=(base app hub "${ROLES[@]}")
# the non-root user every image runs as (except where noted in its Dockerfile)
APP_UID=10001
APP_GID=10001

while [ $# -gt 0 ]; do
  case "$1" in
    --no-jar-build) NO_JAR_BUILD=1 ;;
    --json) JSON="${2:?--json needs a file}"; shift ;;
    --json=*) JSON="${1#--json=}" ;;
    --keep-work) KEEP=1 ;;
    --force) FORCE=1 ;;
    -h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "build.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done
case "$JSON" in ''|/*) ;; *) JSON="$PWD/$JSON" ;; esac

say() { echo "build.sh: $*" >&2; }
die() { echo "build.sh: $*" >&2; exit 1; }
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

command -v docker >/dev/null 2>&1 || die "the docker CLI is not installed (Debian: apt-get install -y docker.io)"
docker info >/dev/null 2>&1 || die "the Docker engine does not answer ('docker info' fails); is dockerd running?"
command -v java >/dev/null 2>&1 || die "java is not on PATH (Debian: apt-get install -y openjdk-17-jdk-headless)"
# the JDK whose jlink builds the runtime: the one 'java' belongs to
JDK="$(java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.home = //p')"
[ -x "$JDK/bin/jlink" ] && [ -x "$JDK/bin/jdeps" ] \
  || die "$JDK (java.home of 'java') has no jlink/jdeps: a JDK, not a JRE, is needed (openjdk-17-jdk-headless)"
# no BuildKit (the buildx plugin is not installed on Debian's docker.io): the classic builder
export DOCKER_BUILDKIT=0

JAR="$ROOT/cli/target/fogwise.jar"
if [ ! -f "$JAR" ]; then
  [ "$NO_JAR_BUILD" = 1 ] && die "$JAR is missing and --no-jar-build was given; build it with: mvn -B -Dmaven.test.skip=true -pl cli -am package"
  say "building the jar (mvn package, tests skipped) ..."
  (cd "$ROOT" && mvn -B -q -o -Dmaven.test.skip=true -pl cli -am package) \
    || (cd "$ROOT" && mvn -B -q -Dmaven.test.skip=true -pl cli -am package)
fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/fogwise-images.XXXXXX")"
if [ "$KEEP" = 1 ]; then
  say "work directory: $WORK"
else
  trap 'rm -rf "$WORK"' EXIT
fi

# The jar's own class path (its manifest), not everything in cli/target/lib: copy-dependencies
# leaves jars of earlier builds there.
CLASSPATH_JARS="$(unzip -p "$JAR" META-INF/MANIFEST.MF | tr -d '\r' | sed -e ':a' -e 'N' -e '$!ba' -e 's/\n //g' \
  | sed -n 's/^Class-Path: //p' | tr ' ' '\n' | sed '/^$/d')"
[ -n "$CLASSPATH_JARS" ] || die "$JAR has no Class-Path in its manifest"

NATS="$(command -v nats-server 2>/dev/null || echo /usr/sbin/nats-server)"
[ -x "$NATS" ] || die "nats-server is not installed (Debian: apt-get install -y nats-server)"

NAMES=(); BYTES=(); SECONDS_TAKEN=()
# Prints (and with --json writes) each image's size and build time: report TOTAL_SECONDS UP_TO_DATE
report() {
  printf '%-28s %12s %8s\n' IMAGE BYTES SECONDS
  for i in "${!NAMES[@]}"; do
    printf '%-28s %12s %8s\n' "${NAMES[$i]}" "${BYTES[$i]}" "${SECONDS_TAKEN[$i]}"
  done
  if [ "$2" = true ]; then echo "${#NAMES[@]} images up to date"; else echo "built ${#NAMES[@]} images in $1 s"; fi
  echo "(BYTES: each image's whole size, layers shared with the others counted in each)"
  docker system df
  if [ -n "$JSON" ]; then
    {
      printf '{\n  "seconds": %s,\n  "upToDate": %s,\n  "inputs": "%s",\n  "jlinkModules": "%s",\n  "images": [\n' \
        "$1" "$2" "$INPUTS" "$(docker image inspect --format '{{index .Config.Labels "io.fogwise.jlink.modules"}}' "fogwise/base:$TAG")"
      for i in "${!NAMES[@]}"; do
        sep=","; [ "$i" -eq $((${#NAMES[@]} - 1)) ] && sep=""
        printf '    {"name": "%s", "bytes": %s, "seconds": %s}%s\n' "${NAMES[$i]}" "${BYTES[$i]}" "${SECONDS_TAKEN[$i]}" "$sep"
      done
      printf '  ]\n}\n'
    } > "$JSON"
    say "wrote $JSON"
  fi
}

# What the images are made of; unchanged inputs, unchanged images.
INPUTS="$( { sha256sum "$JAR" "$HERE/build.sh" "$HERE"/*/Dockerfile "$JDK/release" "$NATS"
  (cd "$ROOT/cli/target" && echo "$CLASSPATH_JARS" | xargs sha256sum); } | awk '{ print $1 }' | sha256sum | cut -c1-16)"
up_to_date() {
  local i
  for i in "${ALL_IMAGES[@]}"; do
    [ "$(docker image inspect --format '{{index .Config.Labels "io.fogwise.inputs"}}' "fogwise/$i:$TAG" 2>/dev/null)" = "$INPUTS" ] \
      || return 1
  done
}
if [ "$FORCE" = 0 ] && up_to_date; then
  say "every image is up to date (inputs $INPUTS); --force builds them again"
  for i in "${ALL_IMAGES[@]}"; do
    NAMES+=("fogwise/$i:$TAG"); BYTES+=("$(docker image inspect --format '{{.Size}}' "fogwise/$i:$TAG")"); SECONDS_TAKEN+=(0)
  done
  report 0 true
  exit 0
fi
# the images this build replaces, removed once it is done (unless a container still uses one)
declare -A OLD_IDS=()
for i in "${ALL_IMAGES[@]}"; do
  OLD_IDS[$i]="$(docker image inspect --format '{{.Id}}' "fogwise/$i:$TAG" 2>/dev/null || true)"
done

record() { # name start
  local bytes
  bytes="$(docker image inspect --format '{{.Size}}' "$1")"
  NAMES+=("$1"); BYTES+=("$bytes"); SECONDS_TAKEN+=("$(secs "$2" "$(now)")")
}

# docker build, quiet unless it fails (the classic builder also warns that it is deprecated)
build_image() { # name context args...
  local name="$1" ctx="$2"; shift 2
  if ! docker build -q "$@" --label "io.fogwise.inputs=$INPUTS" -t "$name" "$ctx" >"$WORK/build.log" 2>&1; then
    cat "$WORK/build.log" >&2
    die "building $name failed"
  fi
}

ALL_START="$(now)"

# ---- fogwise/base: jlink runtime + shared libraries + users, imported as one layer -------------------
start="$(now)"
APP="$WORK/app/opt/fogwise"
mkdir -p "$APP/lib"
cp "$JAR" "$APP/"
(cd "$ROOT/cli/target" && echo "$CLASSPATH_JARS" | xargs cp -t "$APP/lib/")

# What the code needs as jdeps sees it, plus what is only reached by reflection or ServiceLoader:
#   jdk.crypto.ec      SunEC: Ed25519 (NKeys, bundle signatures) and the EC/X25519 key exchange of TLS
#   java.compiler, jdk.compiler   javax.tools and javac, for Drools' in-process Java compilation
#   jdk.unsupported    sun.misc.Unsafe (Netty, Caffeine, Drools)
#   jdk.management     com.sun.management (process CPU and memory in telemetry, Micrometer)
#   jdk.httpserver     com.sun.net.httpserver: the instance's control endpoint
#   jdk.zipfs          the zip file system (Drools' and ECJ's jar scanning)
#   java.naming, java.sql, java.net.http   also named by jdeps today; listed so they stay
#   jdk.naming.dns     JNDI DNS (Vert.x/Netty fall back to it for resolver configuration)
# Not included: jdk.localedata (formatting uses the root locale), jdk.crypto.cryptoki (no PKCS#11).
DEPS="$(cd "$ROOT/cli/target" && "$JDK/bin/jdeps" --ignore-missing-deps --print-module-deps --multi-release 17 \
  -cp 'lib/*' fogwise.jar)" || die "jdeps failed"
EXTRA="jdk.crypto.ec,java.compiler,jdk.compiler,jdk.unsupported,jdk.management,jdk.httpserver,jdk.zipfs,java.naming,java.sql,java.net.http,jdk.naming.dns"
MODULES="$(echo "$DEPS,$EXTRA" | tr ',' '\n' | sed '/^$/d' | sort -u | paste -sd, -)"
say "jlink modules: $MODULES"

RFS="$WORK/rootfs"
mkdir -p "$RFS/opt" "$RFS/etc" "$RFS/usr/lib/x86_64-linux-gnu" "$RFS/usr/lib64" "$RFS/usr/bin" "$RFS/tmp" \
  "$RFS/home/fogwise" "$RFS/proc" "$RFS/sys" "$RFS/dev" "$RFS/run"
# a merged /usr, as Debian 12 has it: the loader and libraries are found under the paths ldd prints
ln -s usr/lib "$RFS/lib"; ln -s usr/lib64 "$RFS/lib64"; ln -s usr/bin "$RFS/bin"; ln -s usr/sbin "$RFS/sbin"
mkdir -p "$RFS/usr/sbin"
chmod 1777 "$RFS/tmp"
# --generate-cds-archive: the JDK's class-data-sharing archive, so every container's JVM maps the
# JDK classes instead of loading them (a container's boot is on the failover's critical path)
"$JDK/bin/jlink" --add-modules "$MODULES" --strip-debug --no-header-files --no-man-pages --compress=2 \
  --generate-cds-archive --output "$RFS/opt/java" || die "jlink failed"

# Copies a shared object (following links) to the canonical place of the directory ldd found it in.
copy_lib() {
  local src="$1" dir
  dir="$(readlink -f "$(dirname "$src")")"
  mkdir -p "$RFS$dir"
  [ -e "$RFS$dir/$(basename "$src")" ] || cp -L "$src" "$RFS$dir/$(basename "$src")"
}
# The libraries of every executable and shared object in $@ (what ldd resolves; vdso aside).
needed_libs() {
  ldd "$@" 2>/dev/null | awk '/=> \// { print $3 } /^[ \t]*\/[^ ]+ \(/ { print $1 }' | sort -u
}
# The desktop-graphics libraries of java.desktop are never loaded headless (java.desktop is in the
# image for java.beans, which Drools and Jackson use): their X11, ALSA and font libraries are left out.
mapfile -t NATIVE < <(find "$RFS/opt/java" -type f \( -name '*.so' -o -path '*/bin/*' \) \
  ! -name 'libawt_xawt.so' ! -name 'libsplashscreen.so' ! -name 'libjsound.so' ! -name 'libfontmanager.so' \
  ! -name 'liblcms.so' ! -name 'libjavajpeg.so' ! -name 'libawt.so' ! -name 'libawt_headless.so' ! -name 'libmlib_image.so')
for lib in $(LD_LIBRARY_PATH="$RFS/opt/java/lib:$RFS/opt/java/lib/server" needed_libs "${NATIVE[@]}"); do
  case "$lib" in "$RFS"/*) continue ;; esac
  copy_lib "$lib"
done
printf '%s\n' /usr/lib/x86_64-linux-gnu /usr/lib64 > "$RFS/etc/ld.so.conf"
ldconfig -r "$RFS" 2>/dev/null || say "ldconfig -r failed: the loader will search its default directories only"

cat > "$RFS/etc/passwd" <<PASSWD
root:x:0:0:root:/root:/sbin/nologin
fogwise:x:$APP_UID:$APP_GID:Fogwise:/home/fogwise:/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin
PASSWD
cat > "$RFS/etc/group" <<GROUP
root:x:0:
fogwise:x:$APP_GID:
nogroup:x:65534:
GROUP
printf 'passwd: files\ngroup: files\nhosts: files dns\nnetworks: files\n' > "$RFS/etc/nsswitch.conf"
printf '127.0.0.1 localhost\n::1 localhost\n' > "$RFS/etc/hosts"

# Everything root-owned, the user's home its own; no root needed to build the tarball.
TARFLAGS=(--numeric-owner --sort=name --mtime=@0)
(cd "$RFS" && tar "${TARFLAGS[@]}" --owner=0 --group=0 --exclude=./home/fogwise -cf "$WORK/rootfs.tar" .)
(cd "$RFS" && tar "${TARFLAGS[@]}" --owner="$APP_UID" --group="$APP_GID" -rf "$WORK/rootfs.tar" ./home/fogwise)
docker import \
  --change "ENV PATH=/opt/java/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
  --change "ENV LANG=C.UTF-8" \
  --change "ENV JAVA_HOME=/opt/java" \
  --change "USER $APP_UID:$APP_GID" \
  --change "WORKDIR /home/fogwise" \
  --change "LABEL org.opencontainers.image.title=fogwise-base" \
  --change "LABEL io.fogwise.jlink.modules=$MODULES" \
  --change "LABEL io.fogwise.inputs=$INPUTS" \
  --change 'CMD ["java", "-version"]' \
  -m "jlink runtime of $("$JDK/bin/java" -version 2>&1 | head -1 | tr -d '"')" \
  "$WORK/rootfs.tar" "fogwise/base:$TAG" >/dev/null
record "fogwise/base:$TAG" "$start"
docker run --rm --network host "fogwise/base:$TAG" java -version >/dev/null 2>&1 \
  || { docker run --rm --network host "fogwise/base:$TAG" java -version || true; die "fogwise/base cannot run 'java -version'"; }

# ---- fogwise/app: the jar and its libraries in one layer ----------------------------------------------
start="$(now)"
cp "$HERE/app/Dockerfile" "$WORK/app/Dockerfile"
build_image "fogwise/app:$TAG" "$WORK/app" --build-arg "BASE=fogwise/base:$TAG"
record "fogwise/app:$TAG" "$start"

# ---- fogwise/hub: nats-server and the shell tools its watchdog runs ------------------------------------
start="$(now)"
HUB="$WORK/hub"
mkdir -p "$HUB/rootfs/usr/bin" "$HUB/rootfs/usr/sbin"
cp -L "$NATS" "$HUB/rootfs/usr/sbin/nats-server"
cp -L "$(command -v dash)" "$HUB/rootfs/usr/bin/sh"
cp -L "$(command -v sleep)" "$HUB/rootfs/usr/bin/sleep"
cp -L "$(command -v setsid)" "$HUB/rootfs/usr/bin/setsid"
for lib in $(needed_libs "$HUB"/rootfs/usr/bin/* "$HUB"/rootfs/usr/sbin/*); do
  dir="$(readlink -f "$(dirname "$lib")")"
  if [ ! -e "$RFS$dir/$(basename "$lib")" ]; then
    mkdir -p "$HUB/rootfs$dir"; cp -L "$lib" "$HUB/rootfs$dir/"
  fi
done
cp "$HERE/hub/Dockerfile" "$HUB/Dockerfile"
build_image "fogwise/hub:$TAG" "$HUB" --build-arg "APP=fogwise/app:$TAG"
record "fogwise/hub:$TAG" "$start"

# An instance image boots on a failover's critical path: give its JVM an application class-data
# archive (AppCDS), trained by running the instance once against a throwaway nats-server, which
# halves its boot (≈ 0.8 s → 0.4 s to the first message on this machine). One layer (≈ 11 MB).
train_cds() { # kind
  local kind="$1" image="fogwise/$1:$TAG" port name="fw-cds-train-$1-$$" pid i ok=0
  port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null || echo 14999)"
  "$NATS" -a 127.0.0.1 -p "$port" >/dev/null 2>&1 & pid=$!
  local entry
  entry="$(docker image inspect --format '{{json .Config.Entrypoint}}' "$image")"
  docker run -d --name "$name" --network host --user 0 \
    -e FW_NATS_URL="nats://127.0.0.1:$port" -e FW_INSECURE=true -e FW_GATEWAY_ID=cds -e FW_DEVICE_ID=cds \
    -e FW_SERVICE=cds -e FW_EPOCH=1 -e FW_CONFIG='{"app":"cds"}' \
    -e JAVA_TOOL_OPTIONS="-XX:ArchiveClassesAtExit=/opt/fogwise/$kind.jsa" "$image" >/dev/null
  for i in $(seq 1 300); do
    if docker logs "$name" 2>&1 | grep -q "instance cds/cds#1 ($kind) started"; then ok=1; break; fi
    sleep 0.1
  done
  sleep 1 # a second of its steady state (the publisher's first messages, the subscriber's first stats)
  docker stop -t 20 "$name" >/dev/null
  kill "$pid" 2>/dev/null || true
  if [ "$ok" = 1 ] && docker cp "$name:/opt/fogwise/$kind.jsa" "$WORK/$kind/$kind.jsa" 2>/dev/null; then
    # the archive only (not the training container: its environment must not reach the image), and
    # the same entry point mapping it (a JVM that cannot map it runs without: -Xshare:auto)
    entry="$(printf '%s' "$entry" | sed "s|\"-cp\"|\"-XX:SharedArchiveFile=/opt/fogwise/$kind.jsa\", \"-cp\"|")"
    printf 'FROM %s\nCOPY --chown=0:0 %s.jsa /opt/fogwise/%s.jsa\nENTRYPOINT %s\n' "$image" "$kind" "$kind" "$entry" \
      > "$WORK/$kind/Dockerfile.cds"
    docker rm -f "$name" >/dev/null
    build_image "$image" "$WORK/$kind" -f "$WORK/$kind/Dockerfile.cds"
    return 0
  else
    say "AppCDS training of $kind failed; $image runs without it:"; docker logs "$name" 2>&1 | tail -5 >&2
  fi
  docker rm -f "$name" >/dev/null
}

# ---- the roles that add no layer (the instance images: their AppCDS archive) ----------------------------
for role in "${ROLES[@]}"; do
  start="$(now)"
  ctx="$WORK/$role"; mkdir -p "$ctx"; cp "$HERE/$role/Dockerfile" "$ctx/Dockerfile"
  build_image "fogwise/$role:$TAG" "$ctx" --build-arg "APP=fogwise/app:$TAG"
  case "$role" in publisher|subscriber) train_cds "$role" ;; esac
  record "fogwise/$role:$TAG" "$start"
done

TOTAL="$(secs "$ALL_START" "$(now)")"
# the images built on others first: an image is in use while one built on it exists
for ((k = ${#ALL_IMAGES[@]} - 1; k >= 0; k--)); do
  i="${ALL_IMAGES[$k]}"
  old="${OLD_IDS[$i]}"
  if [ -n "$old" ] && [ "$old" != "$(docker image inspect --format '{{.Id}}' "fogwise/$i:$TAG")" ]; then
    docker image rm "$old" >/dev/null 2>&1 || say "kept the replaced image $old of fogwise/$i (still in use)"
  fi
done
report "$TOTAL" false
