// The tab's title: "History · ocrbox", "Upload · ocrbox", a task's name
// while its details are open. Pages and dialogs each claim a title; the
// dialog's wins while it is open (it may mount before its page does, so
// the order of mounting cannot decide), and the page's comes back after.
import { useEffect } from 'react';

/** APP_NAME ends every title. */
export const APP_NAME = 'ocrbox';

/** TitleLevel: a dialog's title wins over its page's. */
export type TitleLevel = 'page' | 'dialog';

interface Claim {
  title: string;
  level: TitleLevel;
}

const claims: Claim[] = [];

/** formatTitle is how a title reads in the tab. */
export function formatTitle(title: string | undefined): string {
  return title ? `${title} · ${APP_NAME}` : APP_NAME;
}

function apply() {
  // The newest dialog, else the newest page.
  const top = [...claims].reverse().find((c) => c.level === 'dialog') ?? claims[claims.length - 1];
  document.title = formatTitle(top?.title);
}

/** useDocumentTitle sets the tab's title while the component is mounted. */
export function useDocumentTitle(title: string, level: TitleLevel = 'page'): void {
  useEffect(() => {
    const claim: Claim = { title, level };
    claims.push(claim);
    apply();
    return () => {
      claims.splice(claims.indexOf(claim), 1);
      apply();
    };
  }, [title, level]);
}
