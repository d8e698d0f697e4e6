import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import pdfmake from 'pdfmake';
import type { TDocumentDefinitions } from 'pdfmake/interfaces.js';

const require = createRequire(import.meta.url);
/** Roboto as pdfmake ships it: full Latin coverage (French accents), no system font needed. */
const FONT_DIR = dirname(require.resolve('pdfmake/fonts/Roboto/Roboto-Regular.ttf'));

let configured = false;

/** pdfmake is a module-level singleton: its fonts and access policies are set once, here only. */
function configure(): void {
  if (configured) return;
  pdfmake.setFonts({
    Roboto: {
      normal: `${FONT_DIR}/Roboto-Regular.ttf`,
      bold: `${FONT_DIR}/Roboto-Medium.ttf`,
      italics: `${FONT_DIR}/Roboto-Italic.ttf`,
      bolditalics: `${FONT_DIR}/Roboto-MediumItalic.ttf`,
    },
  });
  // A report never loads anything from the network, and from the disk only the embedded fonts.
  pdfmake.setUrlAccessPolicy(() => false);
  pdfmake.setLocalAccessPolicy((path) => path.startsWith(FONT_DIR));
  configured = true;
}

/** The PDF file of a document definition. */
export async function renderPdf(doc: TDocumentDefinitions): Promise<Buffer> {
  configure();
  return pdfmake.createPdf(doc).getBuffer();
}
