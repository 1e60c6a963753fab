/**
 * The Kitfile editor's decisions that need no document (src/editor/session.ts): what a newer file on
 * disk does, and what one check of the text changes. The session's flow with a real document and
 * server is driven in Chromium (ui-tests/tests/editor.spec.ts).
 */
import { checkOutcome, diskAction } from '../editor/session';

describe('diskAction', () => {
  const loaded = '2026-12-05T10:00:00.000Z';

  it('does nothing while the file on disk is the one loaded', () => {
    expect(diskAction(loaded, loaded, false)).toBe('none');
    expect(diskAction(loaded, loaded, true)).toBe('none');
    expect(diskAction(loaded, '2026-12-05T09:59:59.000Z', true)).toBe('none');
    expect(diskAction(loaded, undefined, true)).toBe('none');
  });

  it('loads a newer file when nothing is unsaved', () => {
    expect(diskAction(loaded, '2026-12-05T10:00:01.000Z', false)).toBe(
      'reload'
    );
  });

  it('warns instead of loading over unsaved edits', () => {
    expect(diskAction(loaded, '2026-12-05T10:00:01.000Z', true)).toBe('warn');
  });

  it('compares instants, not strings (a server may write another offset)', () => {
    expect(diskAction(loaded, '2026-12-05T11:00:00.000+01:00', false)).toBe(
      'none'
    );
  });
});

describe('checkOutcome', () => {
  const text = '# mine\nmanifestVersion: 1.0.0\npackage:\n  name: a\n';
  const laid = '# mine\nmanifestVersion: 1.0.0\npackage:\n  name: b\n';

  it('puts the server text of a form edit in the editor, comments and all', () => {
    const outcome = checkOutcome(
      { text, fromForm: true, firstCheck: false },
      { problems: [], kitfile: { package: { name: 'b' } }, text: laid }
    );
    expect(outcome).toEqual({
      checkedText: laid,
      newText: laid,
      toYaml: false
    });
    // The form already holds its values: they are not read back.
    expect(outcome.draft).toBeUndefined();
  });

  it('keeps the text when the form edit changes nothing in it', () => {
    expect(
      checkOutcome(
        { text, fromForm: true, firstCheck: false },
        { problems: [], text }
      )
    ).toEqual({ checkedText: text, newText: null, toYaml: false });
    // A server that cannot lay the values into the text (null) never blanks it.
    expect(
      checkOutcome(
        { text, fromForm: true, firstCheck: false },
        { problems: [], text: null }
      ).newText
    ).toBeNull();
  });

  it('reads a text edit into the form without touching the text', () => {
    const kitfile = { manifestVersion: '1.0.0', package: { name: 'a' } };
    expect(
      checkOutcome(
        { text, fromForm: false, firstCheck: false },
        { problems: [], kitfile, text }
      )
    ).toEqual({
      checkedText: text,
      newText: null,
      draft: kitfile,
      toYaml: false
    });
  });

  it('opens a file that does not parse in the YAML tab, never replacing it', () => {
    const broken = 'package: [unclosed\n';
    const result = {
      problems: [
        { path: '', message: 'YAML error', severity: 'error' as const }
      ],
      kitfile: null,
      text: null
    };
    expect(
      checkOutcome({ text: broken, fromForm: false, firstCheck: true }, result)
    ).toEqual({
      checkedText: broken,
      newText: null,
      draft: null,
      toYaml: true
    });
    // Later, a text edit that breaks the YAML leaves the tab the user is on.
    expect(
      checkOutcome({ text: broken, fromForm: false, firstCheck: false }, result)
        .toYaml
    ).toBe(false);
  });
});
