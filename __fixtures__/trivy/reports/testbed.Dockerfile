# The Dockerfile behind testbed-buildkit.json and testbed-classic.json (see README.md here),
# built offline on the test bed (scripts/testbed.sh) with this folder as the context.
# The base image's packages (musl, musl-utils: CVE-2019-14697, CRITICAL) are in its one layer;
# the RUN adds openssl's libraries (libcrypto1.1, libssl1.1: CVE-2019-1549 and CVE-2019-1551,
# MEDIUM) to Alpine's package database in a layer of its own.
FROM busybox:latest AS build
RUN echo built >/built.txt

FROM container-ship-test/alpine39:base
ENV APP_HOME=/app
RUN printf '%s\n' 'P:libcrypto1.1' 'V:1.1.1b-r1' 'A:x86_64' 'L:OpenSSL' 'o:openssl' '' \
      'P:libssl1.1' 'V:1.1.1b-r1' 'A:x86_64' 'L:OpenSSL' 'o:openssl' '' >>/lib/apk/db/installed
COPY testbed.Dockerfile /app/Dockerfile
COPY --from=build /built.txt /app/built.txt
LABEL org.opencontainers.image.title=testbed
