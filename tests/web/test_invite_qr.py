"""The printed invite's QR code, as a phone camera sees it: the page is rendered in real headless
Chromium, the code's box is photographed (a screenshot) and a real decoder (zxing-cpp) reads it.
It must be a regular QR code (every phone camera app reads those; few read Micro QR) that fills
its box, and it must carry the invite."""

from __future__ import annotations

import base64
from typing import Any

from tests.api.world import World
from tests.web.browser import skip_without_browser
from tests.web.test_browser import staff_sign_in

pytestmark = skip_without_browser

# The screenshot (PNG) decoded to one luminance byte per pixel by the browser itself.
_PIXELS = """async (png) => {
  const img = new Image();
  img.src = "data:image/png;base64," + png;
  await img.decode();
  const canvas = document.createElement("canvas");
  canvas.width = img.naturalWidth;
  canvas.height = img.naturalHeight;
  const ctx = canvas.getContext("2d");
  ctx.drawImage(img, 0, 0);
  const rgba = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
  const lum = [];
  for (let i = 0; i < rgba.length; i += 4) {
    lum.push(Math.round(0.299 * rgba[i] + 0.587 * rgba[i + 1] + 0.114 * rgba[i + 2]));
  }
  return {width: canvas.width, height: canvas.height, lum: lum};
}"""


async def test_the_invite_qr_is_a_regular_qr_code_that_fills_its_box(
    pages: Any, world: World
) -> None:
    import zxingcpp

    page = await pages()
    await staff_sign_in(page, "admin")
    await page.goto("/web/units")
    await page.get_by_role("button", name="Mã mời và mã QR").first.click()
    await page.wait_for_url("**/invite")
    box = page.locator(".qr-box svg")
    shot = await box.screenshot()
    pixels = await page.evaluate(_PIXELS, base64.b64encode(shot).decode("ascii"))
    width, height = int(pixels["width"]), int(pixels["height"])
    lum = bytes(pixels["lum"])  # kept alive: the view does not own the buffer
    image = zxingcpp.ImageView(lum, width, height, zxingcpp.ImageFormat.Lum)
    found = zxingcpp.read_barcodes(image)

    assert [r.format for r in found] == [zxingcpp.BarcodeFormat.QRCode]
    code = (await page.get_by_label("Mã mời").inner_text()).replace("-", "").replace(" ", "")
    assert code and code in found[0].text.replace("-", "")
    # drawn across its box (the quiet zone around it is white), not in one corner of it
    pos = found[0].position
    span = (pos.top_right.x - pos.top_left.x) / width
    assert span > 0.6, f"the code covers {span:.0%} of its box's width"
    centre = (pos.top_left.x + pos.bottom_right.x) / 2 / width
    assert 0.4 < centre < 0.6
