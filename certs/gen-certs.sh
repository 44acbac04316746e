#!/usr/bin/env bash
# Mints a private CA and a serving certificate for the rwx-guard webhook Service, with openssl only.
# Output (default certs/out/, ignored by git): everything deploy/manifests/overlays/self-managed reads.
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: certs/gen-certs.sh [MODE] [OPTIONS]

Mints a CA and a serving certificate for <service>.<namespace>.svc (also <service>, <service>.<namespace>,
<service>.<namespace>.svc.<cluster-domain>) and writes them where deploy/manifests/overlays/self-managed
expects them.

Modes:
  create            (default) Mint what is missing or no longer good. Idempotent: files that are still valid
                    (key matches, signed by the CA, right names, not expiring within --renew-days) are kept,
                    so running it again changes nothing.
  rotate            Always issue a new serving pair. With --new-ca, first replace the CA too and keep the old
                    CA as ca-previous.crt: ca-bundle.crt = new CA + old CA, so the API server trusts the old
                    and the new serving certificate while the rollout (and the kubelet's Secret refresh) is in
                    progress. Apply the overlay right after.
  finish-rotation   End the overlap once every pod serves the new pair: drop ca-previous.crt, so
                    ca-bundle.crt = current CA only. Apply the overlay again.

Options:
  -s, --service NAME        Service name                                (default: rwx-guard)
  -n, --namespace NAME      Namespace of the Service                    (default: rwx-guard)
  -o, --out-dir DIR         Output directory                            (default: certs/out next to this script)
  -d, --days N              Serving certificate validity, days          (default: 365)
      --ca-days N           CA validity, days                           (default: 3650)
      --renew-days N        create re-issues a serving pair expiring within N days (default: 30)
      --cluster-domain DOM  Cluster DNS domain                          (default: cluster.local)
      --new-ca              rotate: also replace the CA (old CA stays in the bundle)
  -h, --help                This text

Files in the output directory:
  ca.crt ca.key             the CA (keep ca.key safe; it signs serving certificates)
  tls.crt tls.key           the serving pair, mounted by the Deployment (Secret rwx-guard-tls)
  ca-bundle.crt             what the API server trusts: caBundle of both webhook configurations
  ca-previous.crt           only during a CA rotation: the CA being replaced
  kustomization.yaml        the kustomize Component the self-managed overlay includes

Examples:
  certs/gen-certs.sh
  kubectl apply -k deploy/manifests/overlays/self-managed
  certs/gen-certs.sh rotate --new-ca && kubectl apply -k deploy/manifests/overlays/self-managed
  certs/gen-certs.sh finish-rotation && kubectl apply -k deploy/manifests/overlays/self-managed
EOF
}

die() { echo "gen-certs: $*" >&2; exit 1; }
log() { echo "gen-certs: $*" >&2; }

mode=create
service=rwx-guard
namespace=rwx-guard
out_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/out"
days=365
ca_days=3650
renew_days=30
cluster_domain=cluster.local
new_ca=false

if [[ $# -gt 0 && $1 != -* ]]; then
  mode=$1
  shift
fi
case $mode in
  create | rotate | finish-rotation) ;;
  help) usage; exit 0 ;;
  *) usage >&2; die "unknown mode '$mode'" ;;
esac

need_value() { [[ $# -ge 2 && -n $2 ]] || die "option $1 needs a value"; }
while [[ $# -gt 0 ]]; do
  case $1 in
    -s | --service) need_value "$@"; service=$2; shift 2 ;;
    -n | --namespace) need_value "$@"; namespace=$2; shift 2 ;;
    -o | --out-dir) need_value "$@"; out_dir=$2; shift 2 ;;
    -d | --days) need_value "$@"; days=$2; shift 2 ;;
    --ca-days) need_value "$@"; ca_days=$2; shift 2 ;;
    --renew-days) need_value "$@"; renew_days=$2; shift 2 ;;
    --cluster-domain) need_value "$@"; cluster_domain=$2; shift 2 ;;
    --new-ca) new_ca=true; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown option '$1'" ;;
  esac
done

for n in "$days" "$ca_days" "$renew_days"; do
  [[ $n =~ ^[0-9]+$ && $n -gt 0 ]] || die "validity and renewal periods must be positive whole days (got '$n')"
done
# DNS-1035 label, as Kubernetes requires for Service and namespace names.
dns_label='^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$'
[[ $service =~ $dns_label ]] || die "invalid service name '$service'"
[[ $namespace =~ $dns_label ]] || die "invalid namespace '$namespace'"
[[ $cluster_domain =~ ^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$ ]] || die "invalid cluster domain '$cluster_domain'"
[[ $new_ca == false || $mode == rotate ]] || die "--new-ca only applies to rotate"
command -v openssl >/dev/null || die "openssl not found on PATH"

names=("$service" "$service.$namespace" "$service.$namespace.svc" "$service.$namespace.svc.$cluster_domain")
common_name="$service.$namespace.svc"

# Private keys are created readable by the owner only.
umask 077
mkdir -p "$out_dir"
out_dir="$(cd "$out_dir" && pwd)"
work="$(mktemp -d "$out_dir/.gen-certs.XXXXXX")"
trap 'rm -rf "$work"' EXIT

ca_crt="$out_dir/ca.crt"
ca_key="$out_dir/ca.key"
ca_prev="$out_dir/ca-previous.crt"
tls_crt="$out_dir/tls.crt"
tls_key="$out_dir/tls.key"
bundle="$out_dir/ca-bundle.crt"

# Moves $1 over $2 unless they are identical (so an unchanged file keeps its timestamp).
install_file() {
  local src=$1 dst=$2 perm=$3
  chmod "$perm" "$src"
  if [[ -f $dst ]] && cmp -s "$src" "$dst"; then
    rm -f "$src"
  else
    mv -f "$src" "$dst"
  fi
}

# Runs openssl quietly; on failure shows what it said.
ossl() {
  if ! openssl "$@" 2>"$work/openssl.err"; then
    cat "$work/openssl.err" >&2
    die "openssl $1 failed"
  fi
}

new_key() { ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1"; }
serial() { echo "0x$(openssl rand -hex 16)"; }

key_matches() { # cert key
  [[ "$(openssl x509 -in "$1" -noout -pubkey)" == "$(openssl pkey -in "$2" -pubout)" ]]
}

mint_ca() {
  log "minting a new CA (valid $ca_days days)"
  new_key "$work/ca.key"
  ossl req -x509 -new -key "$work/ca.key" -sha256 -days "$ca_days" -set_serial "$(serial)" \
    -subj "/CN=$service-ca $(date -u +%Y%m%dT%H%M%SZ)" \
    -addext "basicConstraints=critical,CA:TRUE,pathlen:0" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -addext "subjectKeyIdentifier=hash" \
    -out "$work/ca.crt"
  install_file "$work/ca.key" "$ca_key" 600
  install_file "$work/ca.crt" "$ca_crt" 644
}

issue_serving() {
  log "issuing a serving certificate for ${names[*]} (valid $days days)"
  local san
  san="$(printf 'DNS:%s,' "${names[@]}")"
  new_key "$work/tls.key"
  ossl req -new -key "$work/tls.key" -subj "/CN=$common_name" -out "$work/tls.csr"
  cat >"$work/ext.cnf" <<EOF
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = ${san%,}
EOF
  ossl x509 -req -in "$work/tls.csr" -CA "$ca_crt" -CAkey "$ca_key" -set_serial "$(serial)" \
    -sha256 -days "$days" -extfile "$work/ext.cnf" -out "$work/tls.crt"
  # Key first: a reader never sees a new certificate next to the old key for long.
  install_file "$work/tls.key" "$tls_key" 600
  install_file "$work/tls.crt" "$tls_crt" 644
}

# Why the current serving pair cannot be kept (empty: it can).
serving_problem() {
  [[ -f $tls_crt && -f $tls_key ]] || { echo "missing"; return; }
  key_matches "$tls_crt" "$tls_key" || { echo "key does not match the certificate"; return; }
  openssl verify -CAfile "$ca_crt" "$tls_crt" >/dev/null 2>&1 || { echo "not signed by the current CA"; return; }
  openssl x509 -in "$tls_crt" -noout -checkend $((renew_days * 86400)) >/dev/null ||
    { echo "expires within $renew_days days"; return; }
  local have want
  have="$(openssl x509 -in "$tls_crt" -noout -text | { grep -o 'DNS:[^,[:space:]]*' || true; } | sort | tr '\n' ' ')"
  want="$(printf 'DNS:%s\n' "${names[@]}" | sort | tr '\n' ' ')"
  [[ $have == "$want" ]] || { echo "names differ (has: $have)"; return; }
}

write_bundle() {
  cat "$ca_crt" >"$work/ca-bundle.crt"
  if [[ -f $ca_prev ]]; then
    if openssl x509 -in "$ca_prev" -noout -checkend 0 >/dev/null; then
      cat "$ca_prev" >>"$work/ca-bundle.crt"
    else
      log "previous CA has expired: dropping it from the bundle"
      rm -f "$ca_prev"
    fi
  fi
  install_file "$work/ca-bundle.crt" "$bundle" 644
}

write_component() {
  cat >"$work/kustomization.yaml" <<'EOF'
# Generated by certs/gen-certs.sh: do not edit, run the script again.
# Included by deploy/manifests/overlays/self-managed (components: [../../../../certs/out]).
apiVersion: kustomize.config.k8s.io/v1alpha1
kind: Component
secretGenerator:
  # The serving pair, mounted by the Deployment. No name hash: a rotation updates this Secret in place and
  # the server reloads the files, without a restart.
  - name: rwx-guard-tls
    type: kubernetes.io/tls
    files:
      - tls.crt
      - tls.key
    options:
      disableNameSuffixHash: true
  # Source of the webhook configurations' caBundle (the overlay's replacements); never applied.
  - name: rwx-guard-ca-bundle
    files:
      - caBundle=ca-bundle.crt
    options:
      disableNameSuffixHash: true
      annotations:
        config.kubernetes.io/local-config: "true"
EOF
  install_file "$work/kustomization.yaml" "$out_dir/kustomization.yaml" 644
}

check_ca() {
  [[ -f $ca_crt && -f $ca_key ]] || return 1
  key_matches "$ca_crt" "$ca_key" || die "$ca_key does not belong to $ca_crt; remove both (or restore the key)"
  openssl x509 -in "$ca_crt" -noout -checkend $((renew_days * 86400)) >/dev/null ||
    log "warning: the CA expires within $renew_days days; run: $0 rotate --new-ca"
}

case $mode in
  create)
    if [[ -f $ca_crt && ! -f $ca_key ]]; then
      die "$ca_crt exists without $ca_key: cannot sign; restore the key or remove $ca_crt"
    fi
    check_ca || mint_ca
    problem="$(serving_problem)"
    if [[ -n $problem ]]; then
      [[ $problem == missing ]] || log "replacing the serving certificate: $problem"
      issue_serving
    else
      log "serving certificate is valid for ${names[*]}; kept"
    fi
    ;;
  rotate)
    check_ca || die "no CA in $out_dir to rotate from; run: $0 create"
    if [[ $new_ca == true ]]; then
      cp "$ca_crt" "$work/ca-previous.crt"
      install_file "$work/ca-previous.crt" "$ca_prev" 644
      mint_ca
    fi
    issue_serving
    ;;
  finish-rotation)
    check_ca || die "no CA in $out_dir; run: $0 create"
    [[ -z "$(serving_problem)" ]] || die "the serving certificate is not valid under the current CA; run: $0 rotate"
    if [[ -f $ca_prev ]]; then
      rm -f "$ca_prev"
      log "dropped the previous CA from the bundle"
    else
      log "no rotation in progress"
    fi
    ;;
esac

write_bundle
write_component
log "wrote $out_dir (bundle: $(grep -c 'BEGIN CERTIFICATE' "$bundle") CA certificate(s))"
