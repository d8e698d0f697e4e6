// The sign-in form of the clinical pages (patient page, printable report): one copy for both.
import { signIn, whenSignedOut } from './clinical-api.js';

const $ = (id) => document.getElementById(id);

/**
 * Wires #sign-in-form: on success the password field is cleared and `onSignedIn` runs; a session
 * that ends by itself shows the form again with a message. `hideContent` hides what the page shows
 * to a signed-in user; `sessionEnded` gives the message in the page's language. Returns
 * `showSignIn(message?)` for the page's own use (sign-out, first load).
 */
export function setUpSignIn({ hideContent, onSignedIn, sessionEnded = () => 'Your session has ended: please sign in again.' }) {
  function showSignIn(message = '') {
    hideContent();
    $('sign-in').hidden = false;
    $('sign-in-error').textContent = message;
  }

  whenSignedOut(() => showSignIn(sessionEnded()));

  $('sign-in-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      await signIn($('username').value, $('password').value);
      $('password').value = '';
      await onSignedIn();
    } catch (err) {
      $('sign-in-error').textContent = err.message;
    }
  });

  return showSignIn;
}
