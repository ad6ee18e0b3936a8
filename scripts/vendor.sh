#!/usr/bin/env bash
# Vendor pinned front-end files from the npm registry into static/vendor/.
# The result is committed, so running the product needs no Node.
set -euo pipefail
cd "$(dirname "$0")/.."

HTMX=htmx.org@2.0.9
TABLER=@tabler/core@1.6.1
ICONS=@tabler/icons@3.52.0
# Test only: the accessibility checker the browser tests inject into every page (never served).
AXE=axe-core@4.14.1
# The icons the templates use ({% icon "name" %}); add names here.
ICON_NAMES=(home building-skyscraper chart-bar calendar-event clipboard-check message-circle settings
  logout switch-horizontal user users key alert-triangle check x plus trash menu-2 chevron-right
  lock mail file-text info-circle search arrow-up arrow-down minus)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "$HTMX" "$TABLER" "$ICONS" "$AXE" >/dev/null)

out=static/vendor
rm -rf "$out"
mkdir -p "$out/htmx" "$out/tabler" "$out/tabler-icons"

tar -xzf "$tmp"/htmx.org-*.tgz -C "$tmp" package/dist/htmx.min.js package/LICENSE
cp "$tmp/package/dist/htmx.min.js" "$tmp/package/LICENSE" "$out/htmx/"
rm -rf "$tmp/package"

tar -xzf "$tmp"/tabler-core-*.tgz -C "$tmp" package/dist/css/tabler.min.css package/dist/js/tabler.min.js
cp "$tmp/package/dist/css/tabler.min.css" "$tmp/package/dist/js/tabler.min.js" "$out/tabler/"
rm -rf "$tmp/package"

tar -xzf "$tmp"/tabler-icons-*.tgz -C "$tmp" package/icons/outline package/LICENSE
for name in "${ICON_NAMES[@]}"; do
  cp "$tmp/package/icons/outline/$name.svg" "$out/tabler-icons/"
done
cp "$tmp/package/LICENSE" "$out/tabler-icons/"

axe=tests/e2e/vendor/axe-core
rm -rf "$axe"
mkdir -p "$axe"
tar -xzf "$tmp"/axe-core-*.tgz -C "$tmp" package/axe.min.js package/LICENSE
cp "$tmp/package/axe.min.js" "$tmp/package/LICENSE" "$axe/"
echo "$AXE" > "$axe/VERSION"
rm -rf "$tmp/package"

# Source maps are not shipped: drop the references to them.
for f in "$out"/htmx/*.js "$out"/tabler/*.js "$out"/tabler/*.css; do
  sed -i -E 's|/\*# sourceMappingURL=[^*]*\*/||; s|^//# sourceMappingURL=.*$||' "$f"
done

cat > "$out/VERSIONS" <<VERS
$HTMX
$TABLER
$ICONS
VERS
echo "vendored into $out:"; cat "$out/VERSIONS"
