import { fireEvent, screen, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { flushSync, tick } from 'svelte';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { REASONS, ERROR_CODES } from '../../src/i18n/enums';
import type { FrameQuality, PreviewFrame } from '../../src/lib/ipc/bindings';
import { CATALOGUES, t } from '../../src/i18n/index.svelte';
import { QR, SCREENS, STATION, tapView } from '../../src/mock/fixtures';
import { renderApp } from './helpers';

afterEach(() => {
  vi.useRealTimers();
});

const heading = (name: string | RegExp) => screen.getByRole('heading', { level: 1, name });

let frameSeq = 0;
/** A preview frame with this quality verdict (the picture itself does not matter here). */
async function sendFrame(frame: (f: PreviewFrame) => void, quality: FrameQuality) {
  frameSeq += 1;
  frame({ seq: frameSeq, width: 4, height: 3, dataUrl: 'data:image/jpeg;base64,AA==', quality });
  flushSync();
  await tick();
}
const passingFrame = (frame: (f: PreviewFrame) => void) => sendFrame(frame, { ok: true, advice: null });

describe('Attract', () => {
  it('shows the product, the call to action and the station line; Start calls begin()', async () => {
    const { backend } = await renderApp(SCREENS.attract());
    expect(heading('Recover your account')).toBeInTheDocument();
    expect(screen.getByText('Reclaim')).toBeInTheDocument();
    expect(screen.getByText('Station LOBBY-01')).toBeInTheDocument();
    expect(screen.getByText('Ready')).toBeInTheDocument();
    expect(screen.getByText('Demo mode: test accounts only')).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: /Cancel/ })).toBeNull();
    expect(screen.queryByRole('navigation', { name: 'Progress' })).toBeNull();
    await fireEvent.click(screen.getByRole('button', { name: /Start/ }));
    expect(backend.begin).toHaveBeenCalledTimes(1);
  });

  it('offers the language switch and the contrast toggle', async () => {
    await renderApp(SCREENS.attract());
    await fireEvent.click(screen.getByRole('button', { name: 'Deutsch' }));
    expect(heading('Konto wiederherstellen')).toBeInTheDocument();
    expect(document.documentElement.lang).toBe('de');
    const hc = screen.getByRole('button', { name: /Hoher Kontrast/ });
    expect(hc).toHaveAttribute('aria-pressed', 'false');
    await fireEvent.click(hc);
    expect(hc).toHaveAttribute('aria-pressed', 'true');
    expect(document.documentElement.classList.contains('hc')).toBe(true);
  });

  it('out of service: one plain sentence, the problems for staff, localised', async () => {
    await renderApp(SCREENS.outOfService());
    expect(heading('Out of service')).toBeInTheDocument();
    expect(screen.getByText('Please use another station or call the helpdesk.')).toBeInTheDocument();
    expect(screen.getByText('No network connection')).toBeInTheDocument();
    expect(screen.getByText('The callback relay cannot be reached')).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: /Start/ })).toBeNull();
  });
});

describe('Identify', () => {
  it('types with the on-screen keyboard and submits the UPN', async () => {
    const { backend } = await renderApp(SCREENS.identify());
    expect(heading('Enter your work account')).toBeInTheDocument();
    const input = screen.getByRole('textbox', { name: 'Work account' });
    expect(input).toHaveFocus();
    for (const k of ['a', 'l', 'e', 'x']) await fireEvent.click(screen.getByRole('button', { name: k }));
    await fireEvent.click(screen.getByRole('button', { name: 'at sign' }));
    for (const k of ['c', 'o']) await fireEvent.click(screen.getByRole('button', { name: k }));
    await fireEvent.click(screen.getByRole('button', { name: 'dot com' }));
    expect(input).toHaveValue('alex@co.com');
    await fireEvent.click(screen.getByRole('button', { name: 'Delete the last character' }));
    expect(input).toHaveValue('alex@co.co');
    await fireEvent.click(screen.getByRole('button', { name: 'm' }));
    await fireEvent.click(screen.getByRole('button', { name: /Continue/ }));
    expect(backend.submitUpn).toHaveBeenCalledWith('alex@co.com');
  });

  it('a physical keyboard works too', async () => {
    const { backend } = await renderApp(SCREENS.identify());
    const user = userEvent.setup();
    await user.type(screen.getByRole('textbox', { name: 'Work account' }), 'kim@fabrikam.com{Enter}');
    expect(backend.submitUpn).toHaveBeenCalledWith('kim@fabrikam.com');
  });

  it('shows the invalid message without hinting whether the account exists, and keeps the entry', async () => {
    const { push } = await renderApp(SCREENS.identify());
    const input = screen.getByRole('textbox', { name: 'Work account' });
    await userEvent.setup().type(input, 'kim');
    await push(SCREENS.identifyInvalid());
    expect(screen.getByText(/doesn't look like a work account/)).toBeInTheDocument();
    expect(input).toHaveAttribute('aria-invalid', 'true');
    expect(input).toHaveValue('kim');
    expect(document.body.textContent).not.toMatch(/not found|does not exist|unknown/i);
  });

  it('Cancel on identify does not ask first', async () => {
    const { backend } = await renderApp(SCREENS.identify());
    await fireEvent.click(screen.getByRole('button', { name: /Cancel/ }));
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(backend.cancel).toHaveBeenCalledTimes(1);
  });

  it('the keyboard follows the language (QWERTZ in German)', async () => {
    await renderApp(SCREENS.identify());
    await fireEvent.click(screen.getByRole('button', { name: 'Deutsch' }));
    const kbd = screen.getByRole('group', { name: 'Bildschirmtastatur' });
    const row = within(kbd).getAllByRole('button').map((b) => b.textContent?.trim());
    expect(row.slice(10, 16)).toEqual(['q', 'w', 'e', 'r', 't', 'z']);
  });
});

describe('Checking and the step indicator', () => {
  it('says nothing about the account and shows step 1 of 5', async () => {
    await renderApp(SCREENS.checking());
    expect(heading('One moment…')).toBeInTheDocument();
    expect(screen.getByText('Step 1 of 5')).toBeInTheDocument();
    const current = screen.getByRole('navigation', { name: 'Progress' }).querySelector('[aria-current=step]');
    expect(current).toHaveTextContent('Your account');
  });
});

describe('The step indicator on the could-not-complete screen', () => {
  const items = () =>
    Array.from(screen.getByRole('navigation', { name: 'Progress' }).querySelectorAll('li'));

  it('ticks only the steps done before Face Check failed, and marks where it stopped', async () => {
    await renderApp({ screen: 'couldNotComplete', reason: 'face_check_failed', reference: 'RC-FACE_CHECK_FAILED-00000000', staff: 'none' });
    const [one, two, three, four, five] = items();
    for (const done of [one, two, three]) expect(done).toHaveTextContent('(done)');
    expect(four).not.toHaveTextContent('(done)');
    expect(four).toHaveTextContent('(stopped here)');
    expect(five).toHaveAttribute('aria-current', 'step');
    expect(five).not.toHaveTextContent('(done)');
  });

  it('a refusal after a passing Face Check ticks every proof step', async () => {
    await renderApp(SCREENS.couldNotComplete());
    const steps = items();
    for (const done of steps.slice(0, 4)) expect(done).toHaveTextContent('(done)');
    expect(steps[4]).toHaveTextContent('(stopped here)');
  });
});

describe('ChooseProvider', () => {
  it('lists providers with their documents; paths call choose_provider', async () => {
    const { backend } = await renderApp(SCREENS.chooseProvider());
    expect(screen.getByRole('heading', { name: 'Contoso Verify' })).toBeInTheDocument();
    expect(screen.getByText(/Passport · Driving licence · ID card/)).toBeInTheDocument();
    const camera = screen.getAllByRole('button', { name: /Use this kiosk's camera/ });
    await fireEvent.click(camera[1]!);
    expect(backend.chooseProvider).toHaveBeenCalledWith('idv-fabrikam', 'camera');
    await fireEvent.click(screen.getAllByRole('button', { name: /Use my phone/ })[0]!);
    expect(backend.chooseProvider).toHaveBeenCalledWith('idv-contoso', 'phone');
  });

  it('offers no camera path without a camera', async () => {
    await renderApp(SCREENS.chooseProviderNoCamera());
    expect(screen.queryByRole('button', { name: /camera/ })).toBeNull();
    expect(screen.getByRole('button', { name: /Use my phone/ })).toBeInTheDocument();
  });

  it('Cancel asks first, and only "Yes, stop" cancels', async () => {
    const { backend } = await renderApp(SCREENS.chooseProvider());
    await fireEvent.click(screen.getByRole('button', { name: /Cancel/ }));
    const dialog = screen.getByRole('dialog', { name: 'Stop and start over?' });
    await fireEvent.click(within(dialog).getByRole('button', { name: 'No, continue' }));
    expect(backend.cancel).not.toHaveBeenCalled();
    await fireEvent.click(screen.getByRole('button', { name: /Cancel/ }));
    await fireEvent.click(screen.getByRole('button', { name: /Yes, stop/ }));
    expect(backend.cancel).toHaveBeenCalledTimes(1);
  });
});

describe('ScanId', () => {
  it('phone: preparing, then a QR with the provider\'s host under it (never its link), then the live status', async () => {
    const { push } = await renderApp(SCREENS.scanIdPhonePreparing());
    expect(heading('Scan this code with your phone')).toBeInTheDocument();
    expect(screen.getByText('Preparing your code…')).toBeInTheDocument();
    await push(SCREENS.scanIdPhone());
    const qr = screen.getByRole('img', { name: /opens Contoso Verify on your phone/ });
    expect(qr.querySelector('svg')).not.toBeNull();
    expect(screen.getByText('Your phone will open a page at:')).toBeInTheDocument();
    expect(screen.getByText(QR.phoneLink.hint)).toBeInTheDocument();
    // The link holds a one-time token and the return state: no part of its path is printed.
    const path = new URL(QR.phoneLink.url).pathname;
    expect(document.body.textContent).not.toContain(QR.phoneLink.url);
    expect(document.body.textContent).not.toContain(path);
    expect(screen.getByText('Waiting for your phone…')).toBeInTheDocument();
    await push(SCREENS.scanIdPhoneOpened());
    expect(screen.getByText('Opened on your phone. Continue there.')).toBeInTheDocument();
    expect(screen.getByTestId('announcer')).toHaveTextContent('Opened on your phone');
  });

  it('link-only provider: its onboarding page as a QR at once, the steps, and "I have added it" calls addedToWallet()', async () => {
    const { backend } = await renderApp(SCREENS.scanIdLinkOnly());
    expect(heading('Open Northwind ID on your phone')).toBeInTheDocument();
    const qr = screen.getByRole('img', { name: /opens Northwind ID's page on your phone/ });
    expect(qr.querySelector('svg')).not.toBeNull();
    expect(screen.getByText(QR.onboarding.hint)).toBeInTheDocument();
    expect(screen.getByText("On Northwind ID's page, add your verified ID to Microsoft Authenticator")).toBeInTheDocument();
    expect(screen.getByText('Add it now: a verified ID added before this visit is not accepted.')).toBeInTheDocument();
    // No hosted-flow status: nothing reports back from the provider's page.
    expect(screen.queryByText('Waiting for your phone…')).toBeNull();
    const added = screen.getByRole('button', { name: 'I have added it' });
    expect(added).toHaveClass('btn-primary');
    await fireEvent.click(added);
    expect(backend.addedToWallet).toHaveBeenCalledTimes(1);
    expect(backend.chooseProvider).not.toHaveBeenCalled();
  });

  it('link-only provider: the choice offers the phone only, with its own hint', async () => {
    const { backend } = await renderApp(SCREENS.chooseProviderLinkOnly());
    expect(screen.getAllByRole('button', { name: /Use this kiosk's camera/ })).toHaveLength(1);
    const phones = screen.getAllByRole('button', { name: /Use my phone/ });
    expect(phones).toHaveLength(2);
    expect(phones[1]).toHaveTextContent('Scan a code, then add your verified ID on your phone');
    await fireEvent.click(phones[1]!);
    expect(backend.chooseProvider).toHaveBeenCalledWith('idv-northwind', 'phone');
  });

  it('link-only provider: every language names the button and the steps', async () => {
    for (const [lang, catalogue] of Object.entries(CATALOGUES)) {
      for (const key of ['scan.link.title', 'scan.link.step2', 'scan.link.added', 'scan.link.fresh'] as const) {
        expect(catalogue[key], `${lang} ${key}`).toBeTruthy();
        if (lang !== 'en') expect(catalogue[key], `${lang} ${key}`).not.toBe(CATALOGUES.en[key]);
      }
      expect(catalogue['scan.link.title'], lang).toContain('{provider}');
    }
  });

  it('phone: an unsafe SVG is not inserted', async () => {
    await renderApp({ ...SCREENS.scanIdPhone(), link: { url: 'https://x', hint: 'x', svg: '<svg onload="alert(1)"></svg>' } } as never);
    expect(document.querySelector('.qr svg[onload]')).toBeNull();
    expect(screen.queryByRole('img', { name: /opens/ })).toBeNull();
  });

  it('camera: previews, guides per stage, captures the staged shot and repeats it on retake', async () => {
    const { backend, push, unmount, frame } = await renderApp(SCREENS.scanIdCameraFront());
    expect(backend.cameraPreview).toHaveBeenCalledTimes(1);
    expect(screen.getByRole('img', { name: 'Camera preview' })).toBeInTheDocument();
    expect(screen.getByRole('heading', { name: 'Front of your ID' })).toBeInTheDocument();
    await passingFrame(frame);
    await fireEvent.click(screen.getByRole('button', { name: /Take photo/ }));
    expect(backend.capture).toHaveBeenLastCalledWith('front');
    await push({ ...SCREENS.scanIdCameraFront(), capture: 'back' } as never);
    await passingFrame(frame);
    await fireEvent.click(screen.getByRole('button', { name: /Take photo/ }));
    expect(backend.capture).toHaveBeenLastCalledWith('back');
    await push(SCREENS.scanIdCameraRetake());
    expect(screen.getByRole('heading', { name: /take that photo again/ })).toBeInTheDocument();
    await passingFrame(frame);
    await fireEvent.click(screen.getByRole('button', { name: /Take photo/ }));
    expect(backend.capture).toHaveBeenLastCalledWith('back');
    await push(SCREENS.scanIdCameraUploading());
    expect(screen.queryByRole('button', { name: /Take photo/ })).toBeNull();
    expect(screen.getByRole('heading', { name: 'Sending your photos…' })).toBeInTheDocument();
    await push(SCREENS.addToAuthenticator());
    expect(backend.cameraStop).toHaveBeenCalledTimes(1);
    unmount();
  });
});

describe('Camera quality advice', () => {
  const advice = () => screen.getByTestId('capture-advice');
  const takePhoto = () => screen.getByRole('button', { name: /Take photo/ });

  it('"Take photo" is disabled until a frame passes, and the advice is shown live', async () => {
    const { backend, frame } = await renderApp(SCREENS.scanIdCameraFront());
    expect(takePhoto()).toBeDisabled();
    expect(advice()).toHaveTextContent('Checking the picture…');
    expect(advice()).toHaveAttribute('aria-live', 'polite');
    const cases: Array<[FrameQuality['advice'], string]> = [
      ['holdStill', 'Hold still: the picture is blurred.'],
      ['reduceGlare', 'Tilt your ID away from the light: a reflection hides part of it.'],
      ['moveCloser', 'Bring your ID closer so it fills the frame.'],
      ['fitInFrame', 'Place the whole ID inside the frame.'],
    ];
    for (const [a, text] of cases) {
      await sendFrame(frame, { ok: false, advice: a });
      expect(advice()).toHaveTextContent(text);
      expect(advice()).toHaveAttribute('data-advice', a);
      expect(takePhoto()).toBeDisabled();
      await fireEvent.click(takePhoto());
      expect(backend.capture).not.toHaveBeenCalled();
    }
    await sendFrame(frame, { ok: true, advice: null });
    expect(advice()).toHaveTextContent('Looks good. Take the photo.');
    expect(takePhoto()).toBeEnabled();
    await sendFrame(frame, { ok: false, advice: 'holdStill' });
    expect(takePhoto()).toBeDisabled();
  });

  it('a new shot waits for a fresh verdict', async () => {
    const { push, frame } = await renderApp(SCREENS.scanIdCameraFront());
    await passingFrame(frame);
    expect(takePhoto()).toBeEnabled();
    await push({ ...SCREENS.scanIdCameraFront(), capture: 'selfie' } as never);
    expect(takePhoto()).toBeDisabled();
    expect(advice()).toHaveTextContent('Checking the picture…');
  });

  it('the advice is localised', async () => {
    const { frame } = await renderApp(SCREENS.scanIdCameraFront());
    await fireEvent.click(screen.getByRole('button', { name: 'Polski' }));
    await sendFrame(frame, { ok: false, advice: 'reduceGlare' });
    expect(advice()).toHaveTextContent('Odchyl dokument od światła');
  });
});

describe('Attract: the station camera', () => {
  it('says whether the station has a camera, and why not', async () => {
    await renderApp(SCREENS.attract());
    expect(screen.getByTestId('station-camera')).toHaveTextContent('Camera ready');
    for (const [camera, text] of [
      ['absent', 'No camera: use your phone to scan your ID'],
      ['refusedVirtual', 'Camera not allowed (virtual camera)'],
    ] as const) {
      await renderApp(SCREENS.attract(), { station: { ...STATION, camera } });
      expect(screen.getAllByTestId('station-camera').at(-1)).toHaveTextContent(text);
    }
  });
});

describe('Authenticator screens', () => {
  it('add to Authenticator: QR and steps', async () => {
    await renderApp(SCREENS.addToAuthenticator());
    expect(heading('Add your verified ID to Microsoft Authenticator')).toBeInTheDocument();
    expect(screen.getByRole('img', { name: /adds your verified ID/ }).querySelector('svg')).not.toBeNull();
  });

  it('open Authenticator: preparing, then the QR and the waiting status; step 4', async () => {
    const { push } = await renderApp(SCREENS.openAuthenticatorPreparing());
    expect(heading('Open Microsoft Authenticator and scan')).toBeInTheDocument();
    expect(screen.getByText('Preparing your code…')).toBeInTheDocument();
    await push(SCREENS.openAuthenticator());
    expect(screen.getByRole('img', { name: 'QR code for Microsoft Authenticator' })).toBeInTheDocument();
    expect(screen.getByText('Waiting for you to scan the code…')).toBeInTheDocument();
    expect(screen.getByText('Step 4 of 5')).toBeInTheDocument();
  });

  it('both offer a second, smaller QR that installs Authenticator, with its caption and host', async () => {
    for (const view of [SCREENS.addToAuthenticator(), SCREENS.openAuthenticatorPreparing(), SCREENS.openAuthenticator()]) {
      const { unmount } = await renderApp(view);
      const install = screen.getByRole('img', { name: 'QR code that installs Microsoft Authenticator' });
      expect(install).toHaveAttribute('data-url', 'https://www.microsoft.com/security/mobile-authenticator-app');
      expect(install.querySelector('svg')).not.toBeNull();
      const figure = install.closest('figure');
      expect(figure).toHaveClass('qr-small');
      expect(within(figure as HTMLElement).getByText('No Authenticator? Scan to install it')).toBeInTheDocument();
      // Only the host is printed, never the path.
      expect(within(figure as HTMLElement).getByText('www.microsoft.com')).toBeInTheDocument();
      expect(figure).not.toHaveTextContent('mobile-authenticator-app');
      unmount();
    }
  });

  it('Face Check in progress says to check the phone', async () => {
    await renderApp(SCREENS.faceCheckInProgress());
    expect(heading('Face Check in progress')).toBeInTheDocument();
    expect(screen.getByText('Check your phone')).toBeInTheDocument();
  });
});

describe('FaceCheckResult', () => {
  it('pass: icon and words and photo quality, never a score or the threshold', async () => {
    const { container } = await renderApp(SCREENS.faceCheckPassed());
    expect(heading('Face Check passed')).toBeInTheDocument();
    expect(screen.getByText('Passed')).toBeInTheDocument();
    expect(screen.getByText('Good')).toBeInTheDocument();
    expect(screen.queryByText('Tips for the next try')).toBeNull();
    expect(container.querySelector('svg.gauge')).toBeNull();
    expect(container.textContent ?? '').not.toMatch(/\d+ out of 100|Needed|score/i);
  });

  it('fail: words, tips, photo quality and attempts left; no score', async () => {
    const { container } = await renderApp(SCREENS.faceCheckFailed());
    expect(heading('Face Check did not match')).toBeInTheDocument();
    expect(screen.getByText('Not passed')).toBeInTheDocument();
    expect(screen.getByText('Tips for the next try')).toBeInTheDocument();
    expect(screen.getByText('Attempts left: 1')).toBeInTheDocument();
    expect(screen.getByText('Poor')).toBeInTheDocument();
    expect(container.textContent ?? '').not.toMatch(/out of 100|Needed|score/i);
  });

  it('without a photo quality: pass or fail only', async () => {
    await renderApp({ screen: 'faceCheckResult', passed: false, photoQuality: null, attemptsLeft: 0 });
    expect(screen.getByText('Not passed')).toBeInTheDocument();
    expect(screen.queryByText('Photo quality of your ID')).toBeNull();
  });
});

describe('Tap', () => {
  const passShown = () => screen.getByTestId('tap-code').textContent?.includes('k7Q+');

  it('is hidden until Show is held, and hidden again on release', async () => {
    await renderApp(tapView(60));
    expect(heading('Your Temporary Access Pass')).toBeInTheDocument();
    expect(passShown()).toBe(false);
    expect(screen.getByText('Pass hidden')).toBeInTheDocument();
    const show = screen.getByRole('button', { name: /Press and hold to show/ });
    await fireEvent.pointerDown(show, { button: 0, pointerId: 1 });
    expect(passShown()).toBe(true);
    expect(screen.getByTestId('tap-code').querySelectorAll('.tap-group')).toHaveLength(3);
    await fireEvent.pointerUp(show, { button: 0, pointerId: 1 });
    expect(passShown()).toBe(false);
  });

  it('Enter shows it for 10 seconds', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'] });
    await renderApp(tapView(60));
    const show = screen.getByRole('button', { name: /Press and hold to show/ });
    await fireEvent.keyDown(show, { key: 'Enter' });
    expect(passShown()).toBe(true);
    expect(screen.getByText('Hiding in 10 s')).toBeInTheDocument();
    vi.advanceTimersByTime(9000);
    await tick();
    expect(passShown()).toBe(true);
    vi.advanceTimersByTime(1100);
    await tick();
    expect(passShown()).toBe(false);
  });

  it('counts down to expiry, shows where to sign in, and "I\'ve noted it" calls done()', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'] });
    const { backend } = await renderApp(tapView(10));
    expect(screen.getByText('Expires in 10:00')).toBeInTheDocument();
    vi.advanceTimersByTime(61_000);
    await tick();
    expect(screen.getByText('Expires in 8:59')).toBeInTheDocument();
    expect(screen.getByText('https://myaccount.microsoft.com')).toBeInTheDocument();
    const security = screen.getByRole('img', { name: 'QR code that opens Security info on your phone' });
    expect(security).toHaveAttribute('data-url', 'https://mysignins.microsoft.com/security-info');
    const figure = security.closest('figure') as HTMLElement;
    expect(
      within(figure).getByText(
        'Register a passkey so you will not be locked out again: scan to do it in Security info on your phone',
      ),
    ).toBeInTheDocument();
    expect(within(figure).getByText('mysignins.microsoft.com')).toBeInTheDocument();
    vi.useRealTimers();
    await fireEvent.click(screen.getByRole('button', { name: /I've noted it/ }));
    expect(backend.done).toHaveBeenCalledTimes(1);
  });

  it('offers the work Verified ID through My Account only where the service says so', async () => {
    const { push } = await renderApp(tapView(60));
    expect(screen.queryByRole('img', { name: 'QR code that opens My Account on your phone' })).not.toBeInTheDocument();
    await push(tapView(60, true));
    const code = screen.getByRole('img', { name: 'QR code that opens My Account on your phone' });
    expect(code).toHaveAttribute('data-url', 'https://myaccount.microsoft.com/');
    expect(within(code.closest('figure') as HTMLElement).getByText(/Get my Verified ID/)).toBeInTheDocument();
    // Both codes keep a caption that says what to do with them.
    const security = screen.getByRole('img', { name: 'QR code that opens Security info on your phone' });
    expect(within(security.closest('figure') as HTMLElement).getByText(/Register a passkey/)).toBeInTheDocument();
  });
});

describe('EvaluationResult and CouldNotComplete', () => {
  it('evaluation: verified, nothing issued; Finish calls done()', async () => {
    const { backend } = await renderApp(SCREENS.evaluationResult());
    expect(heading('Your identity was verified')).toBeInTheDocument();
    expect(screen.getByText('This station is in evaluation mode, so no pass was issued.')).toBeInTheDocument();
    await fireEvent.click(screen.getByRole('button', { name: /Finish/ }));
    expect(backend.done).toHaveBeenCalledTimes(1);
  });

  it('could not complete: plain reason, what next, the reference large and spelled out', async () => {
    const { backend } = await renderApp(SCREENS.couldNotComplete());
    expect(heading('The names do not match')).toBeInTheDocument();
    expect(screen.getByText(/call the helpdesk/)).toBeInTheDocument();
    expect(screen.getByText('RC-NAME_MISMATCH-74AAAAAA')).toBeInTheDocument();
    expect(screen.getByText(/R C dash N A M E underscore M I S M A T C H dash 7 4 A A A A A A/)).toBeInTheDocument();
    await fireEvent.click(screen.getByRole('button', { name: /Finish/ }));
    expect(backend.done).toHaveBeenCalledTimes(1);
  });

  it('offers the credentials already held, and choosing one calls presentExisting()', async () => {
    const { backend } = await renderApp(SCREENS.chooseProviderExisting());
    expect(screen.getByRole('heading', { name: 'Already have your ID in Microsoft Authenticator?' })).toBeInTheDocument();
    await fireEvent.click(screen.getByRole('button', { name: /My verified ID from an earlier check/ }));
    expect(backend.presentExisting).toHaveBeenCalledWith('profile');
    await fireEvent.click(screen.getByRole('button', { name: /Verified employee \(Contoso\)/ }));
    expect(backend.presentExisting).toHaveBeenCalledWith('verified-employee');
  });

  it('offers no credential already held where the site does not', async () => {
    await renderApp(SCREENS.chooseProvider());
    expect(screen.queryByRole('heading', { name: 'Already have your ID in Microsoft Authenticator?' })).not.toBeInTheDocument();
  });

  it('offers a member of staff when the service allows it; asking calls askForStaff() and shows the wait', async () => {
    const { backend, push } = await renderApp(SCREENS.couldNotCompleteStaffOffered());
    await fireEvent.click(screen.getByRole('button', { name: /Ask a member of staff/ }));
    expect(backend.askForStaff).toHaveBeenCalledTimes(1);
    await push(SCREENS.couldNotCompleteStaffWaiting());
    expect(heading('A member of staff is on the way')).toBeInTheDocument();
    expect(screen.getByText('RC-DUPLICATE_NAME-3KQ9ZT2B')).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: /Ask a member of staff/ })).not.toBeInTheDocument();
    await fireEvent.click(screen.getByRole('button', { name: /Leave without help/ }));
    expect(backend.done).toHaveBeenCalledTimes(1);
  });

  it('offers no member of staff where the service does not', async () => {
    await renderApp(SCREENS.couldNotCompleteDuplicate());
    expect(screen.queryByRole('button', { name: /Ask a member of staff/ })).not.toBeInTheDocument();
  });

  it('every reason code renders its own localised words, in every language', async () => {
    const { push } = await renderApp(SCREENS.attract());
    for (const lang of ['en', 'de', 'fr', 'es', 'pl'] as const) {
      await fireEvent.click(screen.getByRole('button', { name: CATALOGUES[lang]['language.name'] }));
      for (const reason of REASONS) {
        await push({ screen: 'couldNotComplete', reason, reference: `RC-${reason.toUpperCase()}-00000000`, staff: 'none' });
        expect(heading(t(`reason.${reason}.title`, undefined, lang))).toBeInTheDocument();
        expect(screen.getByText(t(`reason.${reason}.next`, undefined, lang))).toBeInTheDocument();
      }
    }
  });
});

describe('Kiosk conventions', () => {
  it('idle overlay: countdown, focus on "I\'m still here", which calls activity()', async () => {
    const { backend, push } = await renderApp(SCREENS.openAuthenticator());
    await push(SCREENS.openAuthenticator(), { idleSecondsLeft: 17 });
    const dialog = screen.getByRole('alertdialog', { name: 'Are you still there?' });
    expect(within(dialog).getByText('17')).toBeInTheDocument();
    const stay = within(dialog).getByRole('button', { name: /I'm still here/ });
    expect(stay).toHaveFocus();
    backend.activity.mockClear();
    await fireEvent.click(stay);
    expect(backend.activity).toHaveBeenCalled();
    await push(SCREENS.openAuthenticator(), { idleSecondsLeft: null });
    expect(screen.queryByRole('alertdialog')).toBeNull();
  });

  it('reset: language back to English, inputs cleared, contrast off', async () => {
    const { push } = await renderApp(SCREENS.identify());
    await fireEvent.click(screen.getByRole('button', { name: 'Español' }));
    await userEvent.setup().type(screen.getByRole('textbox', { name: 'Cuenta de trabajo' }), 'ana@x.com');
    await fireEvent.click(screen.getByRole('button', { name: /Alto contraste/ }));
    await push(SCREENS.identify(), { reset: true });
    expect(heading('Enter your work account')).toBeInTheDocument();
    expect(screen.getByRole('textbox', { name: 'Work account' })).toHaveValue('');
    expect(document.documentElement.classList.contains('hc')).toBe(false);
  });

  it("starts in the station's configured language and returns to it after a wipe", async () => {
    const german = { ...STATION, defaultLocale: 'de' as const };
    const { push } = await renderApp(SCREENS.attract(), { station: german });
    expect(heading('Konto wiederherstellen')).toBeInTheDocument();
    await fireEvent.click(screen.getByRole('button', { name: 'Polski' }));
    expect(screen.queryByRole('heading', { name: 'Konto wiederherstellen' })).toBeNull();
    await push(SCREENS.attract(), { reset: true, station: german });
    expect(heading('Konto wiederherstellen')).toBeInTheDocument();
  });

  it('ignores updates older than the one shown', async () => {
    const { push } = await renderApp(SCREENS.chooseProvider());
    await push(SCREENS.tap(), { seq: 0 });
    expect(heading('Choose how to prove who you are')).toBeInTheDocument();
  });

  it.each(ERROR_CODES.filter((c) => c !== 'notNow'))('a rejected command with %s shows the catalogue message, never the backend text', async (code) => {
    const { backend } = await renderApp(SCREENS.attract());
    backend.begin.mockRejectedValueOnce({ code, message: 'ENGLISH FROM RUST' });
    await fireEvent.click(screen.getByRole('button', { name: /Start/ }));
    await tick();
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent(t(`error.${code}`));
    expect(document.body.textContent).not.toContain('ENGLISH FROM RUST');
  });

  it('notNow (a double tap) changes nothing on screen', async () => {
    const { backend } = await renderApp(SCREENS.attract());
    backend.begin.mockRejectedValueOnce({ code: 'notNow', message: 'x' });
    await fireEvent.click(screen.getByRole('button', { name: /Start/ }));
    await tick();
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it('activity() on input, at most once per 2 s', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const { backend } = await renderApp(SCREENS.chooseProvider());
    backend.activity.mockClear();
    await fireEvent.pointerDown(document.body);
    await fireEvent.keyDown(document.body, { key: 'a' });
    expect(backend.activity).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(2100);
    await fireEvent.pointerDown(document.body);
    expect(backend.activity).toHaveBeenCalledTimes(2);
  });

  it('the context menu is suppressed', async () => {
    await renderApp(SCREENS.attract());
    const ev = new MouseEvent('contextmenu', { bubbles: true, cancelable: true });
    document.body.dispatchEvent(ev);
    expect(ev.defaultPrevented).toBe(true);
  });

  it('the station status is the one pushed', async () => {
    await renderApp(SCREENS.attract(), { station: { ...STATION, ready: false, mode: 'production', stationId: 'HQ-7' } });
    expect(screen.getByText('Station HQ-7')).toBeInTheDocument();
    expect(screen.getByText('Not ready')).toBeInTheDocument();
    expect(screen.queryByText(/Demo mode/)).toBeNull();
  });
});
