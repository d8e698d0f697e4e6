// Cues of the console page: sound, banner, connection indicator (DOM only, no state of the alert list).

const $ = (id) => document.getElementById(id);
let audio = null;

/** Creates the audio context; call it from a user gesture (sign-in) so that later cues may sound. */
export function unlockAudio() {
  try {
    audio ??= new AudioContext();
  } catch {
    /* no audio device */
  }
}

export function beep() {
  try {
    audio ??= new AudioContext();
    const ctx = audio;
    void ctx.resume();
    for (const [i, freq] of [880, 660, 880].entries()) {
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.frequency.value = freq;
      gain.gain.value = 0.15;
      osc.connect(gain).connect(ctx.destination);
      const start = ctx.currentTime + i * 0.22;
      osc.start(start);
      osc.stop(start + 0.18);
    }
  } catch {
    /* no audio device: the visual cue remains */
  }
}

let bannerTimer;
export function showBanner(text, kind, hideAfterMs) {
  const banner = $('banner');
  banner.textContent = text;
  banner.className = `banner banner-${kind}`;
  banner.hidden = false;
  clearTimeout(bannerTimer);
  if (hideAfterMs) bannerTimer = setTimeout(() => (banner.hidden = true), hideAfterMs);
}

export function setConnection(kind, text) {
  const el = $('connection');
  el.className = `conn conn-${kind}`;
  el.textContent = text;
  if (kind === 'live' && !$('banner').classList.contains('banner-critical')) $('banner').hidden = true;
}
