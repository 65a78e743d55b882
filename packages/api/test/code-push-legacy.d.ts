// code-push@2.0.6 (installed as code-push-legacy) ships no typings; test/codepush-sdk.ts
// types what it uses.
declare module 'code-push-legacy/script/acquisition-sdk';
