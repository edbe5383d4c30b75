/**
 * Pure: the few facts we need from an AppStream metainfo/appdata XML file (the untranslated name, the
 * newest release's version, the developer). AppStream files are machine-written and regular, so a few
 * anchored patterns do; a full XML parser would add a dependency for three fields.
 */
export interface MetaInfo {
  name?: string;
  version?: string;
  developer?: string;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

export function decodeXmlText(text: string): string {
  return text
    .replace(/<!\[CDATA\[([\s\S]*?)\]\]>/g, '$1')
    .replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);/g, (all, e: string) => {
      if (e.startsWith('#x')) return safeCodePoint(parseInt(e.slice(2), 16)) ?? all;
      if (e.startsWith('#')) return safeCodePoint(parseInt(e.slice(1), 10)) ?? all;
      return ENTITIES[e] ?? all;
    })
    .trim();
}

function safeCodePoint(n: number): string | undefined {
  return Number.isInteger(n) && n > 0 && n <= 0x10ffff ? String.fromCodePoint(n) : undefined;
}

/** The text of the first <tag> without an xml:lang attribute (the untranslated one). */
function untranslated(xml: string, tag: string): string | undefined {
  const re = new RegExp(`<${tag}(\\s[^>]*)?>([^<]*(?:<!\\[CDATA\\[[\\s\\S]*?\\]\\]>[^<]*)*)</${tag}>`, 'g');
  for (let m = re.exec(xml); m; m = re.exec(xml)) {
    if (m[1]?.includes('xml:lang')) continue;
    const text = decodeXmlText(m[2] ?? '');
    if (text) return text;
  }
  return undefined;
}

export function parseMetaInfo(xml: string): MetaInfo {
  const body = xml.replace(/<!--[\s\S]*?-->/g, '');
  // <developer><name>…</name></developer> (AppStream ≥ 1.0) would otherwise be taken for the app's name.
  const developerBlock = /<developer\b[^>]*>([\s\S]*?)<\/developer>/.exec(body)?.[1];
  const withoutDeveloper = body.replace(/<developer\b[^>]*>[\s\S]*?<\/developer>/g, '');
  const name = untranslated(withoutDeveloper, 'name');
  const developer = (developerBlock && untranslated(developerBlock, 'name')) || untranslated(body, 'developer_name');
  // Releases are listed newest first (the AppStream spec asks for it; appstreamcli sorts them).
  const version = /<release\b[^>]*\bversion\s*=\s*["']([^"']+)["']/.exec(body)?.[1];
  return {
    ...(name ? { name } : {}),
    ...(version ? { version: decodeXmlText(version) } : {}),
    ...(developer ? { developer } : {}),
  };
}
