import '@testing-library/jest-dom/vitest';
import { configure } from '@testing-library/dom';

// The live region repeats screen text for screen readers; queries look at the page itself.
configure({ defaultIgnore: 'script, style, [aria-live]' });
