// The heading and the status line of each view, shared by the screens and the live region
// that announces changes to screen-reader users.
import type { MessageKey } from '../i18n/catalogue';
import type { View } from './ipc/bindings';

export interface Spoken {
  key: MessageKey;
  params?: Record<string, string | number>;
}

export function titleOf(view: View): Spoken {
  switch (view.screen) {
    case 'attract':
      return { key: 'attract.title' };
    case 'outOfService':
      return { key: 'oos.title' };
    case 'identify':
      return { key: 'identify.title' };
    case 'checking':
      return { key: 'checking.title' };
    case 'chooseProvider':
      return { key: 'provider.title' };
    case 'scanId':
      if (view.path === 'phone' && view.provider.linkOnly) {
        return { key: 'scan.link.title', params: { provider: view.provider.displayName } };
      }
      return { key: view.path === 'phone' ? 'scan.phone.title' : 'scan.camera.title' };
    case 'addToAuthenticator':
      return { key: 'add.title' };
    case 'openAuthenticator':
      return { key: 'open.title' };
    case 'faceCheckInProgress':
      return { key: 'faceProgress.title' };
    case 'faceCheckResult':
      return { key: view.passed ? 'face.passed.title' : 'face.failed.title' };
    case 'tap':
      return { key: 'tap.title' };
    case 'evaluationResult':
      return { key: 'eval.title' };
    case 'couldNotComplete':
      return { key: `reason.${view.reason}.title` };
  }
}

/** The changing status of a screen (announced when it changes), if it has one. */
export function statusOf(view: View): Spoken | null {
  switch (view.screen) {
    case 'identify':
      return view.invalid ? { key: 'identify.invalid' } : null;
    case 'scanId':
      if (view.path === 'phone' && view.provider.linkOnly) return null;
      if (view.path === 'phone') {
        if (!view.link) return { key: 'scan.phone.preparing' };
        return { key: view.phoneOpened ? 'scan.phone.opened' : 'scan.phone.waiting' };
      }
      return view.capture ? { key: `capture.${view.capture}.title` } : { key: 'scan.camera.starting' };
    case 'openAuthenticator':
      return { key: view.qr ? 'open.waiting' : 'open.preparing' };
    case 'faceCheckInProgress':
      return { key: 'faceProgress.status' };
    case 'faceCheckResult':
      return view.passed ? null : { key: 'face.attemptsLeft', params: { n: view.attemptsLeft } };
    default:
      return null;
  }
}
