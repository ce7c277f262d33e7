/** Largest PNG side (px): Chromium's canvas limit is 16,384 (and 268 M pixels); big drawings are scaled down. */
const MAX_SIDE = 16_000;

/**
 * Renders standalone SVG text (`width`×`height` px) to a PNG at twice its size (less when that would pass
 * {@link MAX_SIDE}) and returns it as base64 without the `data:` prefix. Loads the SVG from a `blob:` URL
 * (the panel's CSP allows `img-src blob:`), so the canvas is never tainted.
 * @throws Error when the browser cannot decode the SVG or encode the PNG.
 */
export async function pngBase64(svg: string, width: number, height: number): Promise<string> {
  const scale = Math.min(2, MAX_SIDE / Math.max(width, 1), MAX_SIDE / Math.max(height, 1));
  const url = URL.createObjectURL(new Blob([svg], { type: 'image/svg+xml' }));
  try {
    const image = new Image();
    image.decoding = 'sync';
    await new Promise<void>((resolve, reject) => {
      image.onload = () => resolve();
      image.onerror = () => reject(new Error('the drawing could not be turned into an image'));
      image.src = url;
    });
    const canvas = document.createElement('canvas');
    canvas.width = Math.max(1, Math.round(width * scale));
    canvas.height = Math.max(1, Math.round(height * scale));
    const context = canvas.getContext('2d');
    if (!context) throw new Error('no 2D canvas');
    context.drawImage(image, 0, 0, canvas.width, canvas.height);
    const dataUrl = canvas.toDataURL('image/png');
    const comma = dataUrl.indexOf(',');
    if (!dataUrl.startsWith('data:image/png') || comma < 0) throw new Error('the PNG could not be encoded');
    return dataUrl.slice(comma + 1);
  } finally {
    URL.revokeObjectURL(url);
  }
}
