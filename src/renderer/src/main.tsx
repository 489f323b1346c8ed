// The renderer's entry: takes the setup token from the address, then renders the app.
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { takeSetupToken } from './setup-link';
import { useSetupStore } from './stores/setup';
import './styles.css';

// Read once, before anything renders, and removed from the address bar so it is not bookmarked or shared by accident.
useSetupStore.getState().setToken(takeSetupToken());
// The setup link pasted into a tab that already shows Shelf changes only the #fragment: no reload, so listen for it.
globalThis.addEventListener('hashchange', () => {
  const token = takeSetupToken();
  if (token) useSetupStore.getState().setToken(token);
});

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
