import type {
  CameraStatus,
  CaptureAdvice,
  CaptureStage,
  DocumentKind,
  ErrorCode,
  PhotoQuality,
  PreflightProblem,
  Reason,
} from '../lib/ipc/bindings';
import type { en } from './en';

/** Keys every catalogue must have for every value of the closed sets in bindings.ts. */
export type EnumKey =
  | `reason.${Reason}.title`
  | `reason.${Reason}.body`
  | `reason.${Reason}.next`
  | `error.${ErrorCode}`
  | `preflight.${PreflightProblem}`
  | `document.${DocumentKind}`
  | `photoQuality.${PhotoQuality}`
  | `capture.${CaptureStage}.title`
  | `capture.${CaptureStage}.hint`
  | `capture.advice.${CaptureAdvice}`
  | `station.camera.${CameraStatus}`
  | `step.${1 | 2 | 3 | 4 | 5}`;

/** Every message key (English is the reference). */
export type MessageKey = keyof typeof en;

/** A complete catalogue: TypeScript rejects a missing or an unknown key. */
export type Catalogue = Record<MessageKey, string>;
