#!/usr/bin/env bash
# Writes a Terraform CLI config that installs providers from an offline filesystem mirror.
# TF_PLUGIN_MIRROR (the folder that holds registry.terraform.io/) wins; otherwise the mirror is found on disk.
set -euo pipefail
out=${1:?usage: terraformrc.sh OUTPUT}
mirror=${TF_PLUGIN_MIRROR:-}
if [ -z "$mirror" ]; then
  found=$(find / -maxdepth 6 -type d -path '*registry.terraform.io/hashicorp' 2>/dev/null | head -n 1 || true)
  [ -n "$found" ] && mirror=$(dirname "$(dirname "$found")")
fi
mkdir -p "$(dirname "$out")"
if [ -z "$mirror" ]; then
  echo "terraformrc: no provider mirror found; Terraform will use the public registry" >&2
  printf '# no mirror found: default registry installation\n' > "$out"
  exit 0
fi
cat > "$out" <<EOT
# Written by scripts/terraformrc.sh: providers come from the offline mirror at $mirror.
provider_installation {
  filesystem_mirror {
    path    = "$mirror"
    include = ["registry.terraform.io/hashicorp/*"]
  }
  direct {
    exclude = ["registry.terraform.io/hashicorp/*"]
  }
}
EOT
echo "terraformrc: $out -> $mirror"
