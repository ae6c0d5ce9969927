import { createAuthPause } from '../../lib/auth-pause';

const PAUSE_MS = 5 * 60 * 1000;
const START_MS = Date.UTC(2026, 0, 15, 9, 0, 0);

/** A pause whose first request FreeClimb refused at START_MS. */
function refusedOnce(pauseMs = PAUSE_MS) {
  const pause = createAuthPause(pauseMs);
  const first = pause.admit(START_MS);
  if (!first.go) throw new Error('the first request must go');
  pause.settle(first, 'refused', START_MS);
  return pause;
}

/** Such a pause once it is over, with the one probe it let out still out. */
function probing() {
  const pause = refusedOnce();
  const probe = pause.admit(START_MS + PAUSE_MS);
  if (!probe.go) throw new Error('the probe must go');
  return { pause, probe };
}

describe('createAuthPause', () => {
  test('lets every request go while FreeClimb has not refused the key, none of them a probe', () => {
    // Prepare
    const pause = createAuthPause(PAUSE_MS);

    // Act
    const admissions = [pause.admit(START_MS), pause.admit(START_MS)];

    // Assess
    expect(admissions).toEqual([
      { go: true, probe: false },
      { go: true, probe: false },
    ]);
  });

  test('after a refusal, sends nothing until the pause is over, saying how long is left', () => {
    // Prepare
    const pause = refusedOnce();

    // Act
    const atOnce = pause.admit(START_MS);
    const lastMoment = pause.admit(START_MS + PAUSE_MS - 1);
    const after = pause.admit(START_MS + PAUSE_MS);

    // Assess
    expect(atOnce).toEqual({ go: false, pausedForMs: PAUSE_MS });
    expect(lastMoment).toEqual({ go: false, pausedForMs: 1 });
    expect(after).toEqual({ go: true, probe: true });
  });

  test('while the probe is out, the others keep waiting; an accepted key ends the pause', () => {
    // Prepare
    const { pause, probe } = probing();

    // Act
    const duringProbe = pause.admit(START_MS + PAUSE_MS + 10);
    pause.settle(probe, 'accepted', START_MS + PAUSE_MS + 20);
    const afterProbe = pause.admit(START_MS + PAUSE_MS + 30);

    // Assess
    expect(duringProbe).toEqual({ go: false, pausedForMs: 0 });
    expect(afterProbe).toEqual({ go: true, probe: false });
  });

  test('a probe refused again starts a new pause from its answer', () => {
    // Prepare
    const { pause, probe } = probing();

    // Act
    pause.settle(probe, 'refused', START_MS + PAUSE_MS + 100);
    const admission = pause.admit(START_MS + PAUSE_MS + 100);

    // Assess
    expect(admission).toEqual({ go: false, pausedForMs: PAUSE_MS });
  });

  test('a probe that learnt nothing (a 503, no key) lets the next request probe again', () => {
    // Prepare
    const { pause, probe } = probing();

    // Act
    pause.settle(probe, 'unknown', START_MS + PAUSE_MS + 1);
    const next = pause.admit(START_MS + PAUSE_MS + 2);

    // Assess
    expect(next).toEqual({ go: true, probe: true });
  });

  test('a request that is no probe ending does not free a probe still out', () => {
    // Prepare: two requests go before the key is known to be wrong; the first one's refusal pauses.
    const pause = createAuthPause(PAUSE_MS);
    const early = pause.admit(START_MS);
    const late = pause.admit(START_MS);
    if (!early.go || !late.go) throw new Error('both requests must go');
    pause.settle(early, 'refused', START_MS);
    const probe = pause.admit(START_MS + PAUSE_MS);

    // Act: the slow second request ends with nothing learnt while the probe is out.
    pause.settle(late, 'unknown', START_MS + PAUSE_MS + 1);
    const whileProbing = pause.admit(START_MS + PAUSE_MS + 2);

    // Assess
    expect(probe).toEqual({ go: true, probe: true });
    expect(whileProbing).toEqual({ go: false, pausedForMs: 0 });
  });

  test('with no pause, a refusal still lets only one probe out at a time', () => {
    // Prepare
    const pause = refusedOnce(0);

    // Act
    const probe = pause.admit(START_MS);
    const other = pause.admit(START_MS);

    // Assess
    expect(probe).toEqual({ go: true, probe: true });
    expect(other).toEqual({ go: false, pausedForMs: 0 });
  });
});
