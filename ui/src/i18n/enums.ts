// Every value of every closed set in bindings.ts the UI must put into words. Each is a
// `Record<Union, true>`, so TypeScript fails the build when bindings.ts gains (or loses) a value;
// the catalogue types in ./catalogue.ts are built from the same unions.
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

const REASON: Record<Reason, true> = {
  cancelled: true,
  idle_timeout: true,
  step_timeout: true,
  not_eligible: true,
  provider_unavailable: true,
  document_rejected: true,
  issuance_failed: true,
  presentation_expired: true,
  presentation_declined: true,
  presentation_failed: true,
  face_check_failed: true,
  issuer_not_accepted: true,
  wrong_credential_type: true,
  credential_revoked: true,
  credential_too_old: true,
  name_mismatch: true,
  duplicate_name: true,
  records_mismatch: true,
  directory_name_blank: true,
  referee_refused: true,
  profile_unsupported: true,
  account_disabled: true,
  account_not_member: true,
  tap_policy_refused: true,
  tap_creation_failed: true,
  service_unavailable: true,
  rate_limited: true,

  evaluation_mode_verified: true,
  tap_issued: true,
};

const ERROR_CODE: Record<ErrorCode, true> = {
  invalidInput: true,
  notNow: true,
  cameraUnavailable: true,
  outOfService: true,
  engineStopped: true,
  internal: true,
};

const PREFLIGHT: Record<PreflightProblem, true> = {
  network: true,
  clockSkew: true,
  relayUnreachable: true,
  tenantUnreachable: true,
  configInvalid: true,
  switchedOff: true,
  serviceUnreachable: true,
  stationNotEnrolled: true,
};

const DOCUMENT: Record<DocumentKind, true> = { passport: true, drivingLicence: true, idCard: true };

const PHOTO_QUALITY: Record<PhotoQuality, true> = { high: true, medium: true, low: true };

const CAPTURE_STAGE: Record<CaptureStage, true> = {
  front: true,
  back: true,
  selfie: true,
  uploading: true,
  retake: true,
};

const CAPTURE_ADVICE: Record<CaptureAdvice, true> = {
  holdStill: true,
  reduceGlare: true,
  moveCloser: true,
  fitInFrame: true,
};

const CAMERA_STATUS: Record<CameraStatus, true> = { present: true, absent: true, refusedVirtual: true };

const keys = <T extends string>(r: Record<T, true>): T[] => Object.keys(r) as T[];

export const REASONS = keys(REASON);
export const ERROR_CODES = keys(ERROR_CODE);
export const PREFLIGHT_PROBLEMS = keys(PREFLIGHT);
export const DOCUMENT_KINDS = keys(DOCUMENT);
export const PHOTO_QUALITIES = keys(PHOTO_QUALITY);
export const CAPTURE_STAGES = keys(CAPTURE_STAGE);
export const CAPTURE_ADVICES = keys(CAPTURE_ADVICE);
export const CAMERA_STATUSES = keys(CAMERA_STATUS);

/** The bindings.ts union name each list mirrors (the catalogue test compares them). */
export const ENUM_LISTS: Record<string, readonly string[]> = {
  Reason: REASONS,
  ErrorCode: ERROR_CODES,
  PreflightProblem: PREFLIGHT_PROBLEMS,
  DocumentKind: DOCUMENT_KINDS,
  PhotoQuality: PHOTO_QUALITIES,
  CaptureStage: CAPTURE_STAGES,
  CaptureAdvice: CAPTURE_ADVICES,
  CameraStatus: CAMERA_STATUSES,
};
