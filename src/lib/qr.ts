/**
 * SVG of a QR code for a URL (no external resources, prints crisply). The qrcode package is loaded on
 * the first code drawn, not at start-up: most server processes never draw one, and it adds about
 * 10 MB to the resident set (docs/PERFORMANCE.md, "Server memory").
 */
export async function qrSvg(url: string): Promise<string> {
  const { default: QRCode } = await import('qrcode');
  return QRCode.toString(url, { type: 'svg', errorCorrectionLevel: 'M', margin: 1 });
}
