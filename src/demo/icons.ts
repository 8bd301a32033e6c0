/** Inline SVG icons (24x24, stroke-based, currentColor). */
const wrap = (body: string): string =>
  `<svg viewBox="0 0 24 24" width="20" height="20" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true">${body}</svg>`;

export const icons = {
  mic: wrap('<rect x="9" y="2" width="6" height="12" rx="3"/><path d="M5 10a7 7 0 0 0 14 0"/><path d="M12 17v5"/>'),
  micOff: wrap('<path d="M2 2l20 20"/><path d="M9 9v1a3 3 0 0 0 5.1 2.1"/><path d="M15 9.3V5a3 3 0 0 0-5.9-.7"/><path d="M19 10a7 7 0 0 1-1.2 3.9M5 10a7 7 0 0 0 11.1 5.7"/><path d="M12 17v5"/>'),
  cam: wrap('<rect x="2" y="6" width="14" height="12" rx="2"/><path d="M16 10l6-3v10l-6-3z"/>'),
  camOff: wrap('<path d="M2 2l20 20"/><path d="M16 16H4a2 2 0 0 1-2-2V8a2 2 0 0 1 2-2h2m4 0h4a2 2 0 0 1 2 2v4"/><path d="M16 10l6-3v10"/>'),
  screen: wrap('<rect x="2" y="3" width="20" height="14" rx="2"/><path d="M8 21h8M12 17v4"/><path d="M9 10l3-3 3 3M12 7v6"/>'),
  chat: wrap('<path d="M21 12a8 8 0 0 1-11.6 7.1L4 20l1-4.4A8 8 0 1 1 21 12z"/>'),
  leave: wrap('<path d="M10.7 13.3a16 16 0 0 0 3.4 2.6l1.5-1.5a1 1 0 0 1 1.1-.2 11 11 0 0 0 3.5.8 1 1 0 0 1 .9 1v3.2a1 1 0 0 1-1 1A17 17 0 0 1 3 4a1 1 0 0 1 1-1h3.2a1 1 0 0 1 1 .9 11 11 0 0 0 .8 3.5 1 1 0 0 1-.2 1.1L7.3 10"/><path d="M22 2l-6 6M16 2l6 6"/>'),
  send: wrap('<path d="M22 2L11 13"/><path d="M22 2l-7 20-4-9-9-4z"/>'),
  link: wrap('<path d="M10 13a5 5 0 0 0 7.5.5l3-3a5 5 0 0 0-7-7l-1.7 1.7"/><path d="M14 11a5 5 0 0 0-7.5-.5l-3 3a5 5 0 0 0 7 7l1.7-1.7"/>'),
  close: wrap('<path d="M18 6L6 18M6 6l12 12"/>'),
} as const;
