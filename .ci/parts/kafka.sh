#!/usr/bin/env bash
# Apache Kafka (the broker Strimzi runs) at the version src/marketplace_kit/platform/versions.py
# pins: its server classpath resolved from Maven Central by Maven (.ci/parts/kafka/pom.xml) into
# $PARTS_CACHE/<version>/lib, run in KRaft mode by tests/support/kafka_broker.py as
# `java -cp 'lib/*' kafka.Kafka server.properties`. Needs Java 17 (installed from Debian when
# missing) and Maven. Prints kafka-libs=DIR and java=PATH.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
: "${PARTS_CACHE:?set by .ci/real-parts}"
version=$(sed -n 's/^KAFKA = "\(.*\)"$/\1/p' "$here/../../src/marketplace_kit/platform/versions.py")
[ -n "$version" ] || { echo "kafka.sh: no KAFKA pin in versions.py" >&2; exit 2; }

if ! command -v java >/dev/null 2>&1 || ! command -v mvn >/dev/null 2>&1; then
  apt-get update -q >&2 && apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends openjdk-17-jre-headless maven >&2
fi

lib=$PARTS_CACHE/$version/lib
exec 9>"$PARTS_CACHE/.lock"
flock 9
if [ ! -f "$lib/.complete" ]; then
  rm -rf "$lib"
  mkdir -p "$lib"
  # The pom is copied out so Maven writes nothing into the work tree.
  work=$(mktemp -d)
  cp "$here/kafka/pom.xml" "$work/pom.xml"
  mvn -q -B -f "$work/pom.xml" -Dkafka.version="$version" \
    dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$lib" >&2
  rm -rf "$work"
  ls "$lib"/kafka_2.13-"$version".jar >/dev/null
  touch "$lib/.complete"
fi
flock -u 9
echo "kafka-libs=$lib"
echo "java=$(readlink -f "$(command -v java)")"
