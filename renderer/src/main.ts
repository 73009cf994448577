import { mount } from 'svelte';
import App from './App.svelte';
import { scheduleCompareWarmUp } from './compare/warmup.js';
import './app.css';

mount(App, { target: document.getElementById('app')! });
// The first compare view after start would otherwise run its chart code cold (see compare/warmup.ts).
scheduleCompareWarmUp();
