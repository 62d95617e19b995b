// Markdown for the step summary and the pull request comment, one set of helpers for both. Text
// that comes from a report, an image, a registry or a program (a package named
// `<img src=x onerror=...>`, a file named `[click](https://evil)`, a `javascript:` advisory URL)
// goes through these, so that it shows as the text it is: never a tag, a link, a closed
// `<details>`, a new line or a table cell of its own.
/** A table cell's text is cut to this many characters. */
const CELL_LIMIT = 200;
/** Longer links are left out (their label is still shown). */
const URL_LIMIT = 500;
/** One line: every run of whitespace (line breaks included) as one space. */
function flat(value) {
    return value.replace(/\s+/g, ' ').trim();
}
/** At most `limit` characters, an ellipsis saying it was cut. */
function clip(value, limit = CELL_LIMIT) {
    return value.length <= limit ? value : `${value.slice(0, limit - 1)}…`;
}
/**
 * One line of plain text: no HTML (so no tag, comment or marker can be written through it) and
 * no brackets that could make a link or an image.
 */
function text(value) {
    return flat(value)
        .replace(/&/g, '&amp;')
        .replace(/</g, '&lt;')
        .replace(/>/g, '&gt;')
        .replace(/[[\]]/g, (bracket) => `\\${bracket}`);
}
/** Inline code on one line that no backtick in the text can close early. */
function code(value) {
    return `\`${flat(value).replace(/`/g, "'")}\``;
}
/** A table cell stays one cell: pipes escaped, line breaks as <br>. */
function cell(value) {
    return value.replace(/\|/g, '\\|').replace(/\r?\n/g, '<br>');
}
/** An http(s) URL fit for a Markdown link destination, or undefined. */
function safeUrl(url) {
    if (!/^https?:\/\/[^\s]+$/i.test(url) || url.length > URL_LIMIT)
        return undefined;
    return url.replace(/[()<>"'\\`]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`);
}
/** `label` linked to `url` when it is a safe http(s) URL, else `label` alone. */
function link(label, url) {
    const safe = url ? safeUrl(url) : undefined;
    return safe ? `[${label}](${safe})` : label;
}

export { clip as a, cell as b, code as c, flat as f, link as l, safeUrl as s, text as t };
