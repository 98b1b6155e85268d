// The demo's consent banner: vanilla-cookieconsent v3, the real package, one configuration for the
// plain-HTML shop (consent.js) and its React single-page app (demo/spa/src/banner.ts). attune
// follows it through its `cookieconsent` adapter, which maps the category `personalization` to
// attune's personalization and sync purposes and `analytics` to measurement (README, "Your consent
// banner"). attune itself asks nothing and stores nothing first.

/**
 * The banner's configuration. `changeMind` ends the first dialog's text with where the shopper
 * changes their mind later; `necessary` says what the strictly necessary category keeps.
 */
export const bannerConfig = ({ changeMind, necessary }) => ({
  // The demo is also driven by headless browsers in tests, which the banner would take for bots.
  hideFromBots: false,
  guiOptions: {
    consentModal: { layout: 'box wide', position: 'bottom right', equalWeightButtons: true },
    preferencesModal: { layout: 'box', equalWeightButtons: true },
  },
  categories: {
    necessary: { enabled: true, readOnly: true },
    analytics: {},
    personalization: {},
  },
  language: {
    default: 'en',
    translations: {
      en: {
        consentModal: {
          title: 'Make this shop yours?',
          description:
            'With your permission we remember what you look at, on this device, to show you gear you will like, and tell you why. ' +
            `Nothing is stored or sent until you choose. ${changeMind}`,
          acceptAllBtn: 'Accept all',
          acceptNecessaryBtn: 'Reject all',
          showPreferencesBtn: 'Choose',
        },
        preferencesModal: {
          title: 'Your choices',
          acceptAllBtn: 'Accept all',
          acceptNecessaryBtn: 'Reject all',
          savePreferencesBtn: 'Save my choices',
          closeIconLabel: 'Close',
          sections: [
            { title: 'Strictly necessary', description: `${necessary} Always on.`, linkedCategory: 'necessary' },
            {
              title: 'Personalisation',
              description: 'Remember what you view on this device to pick content for you, and keep it in step across your devices.',
              linkedCategory: 'personalization',
            },
            { title: 'Analytics', description: 'Send what you do here to our server, so we can see what works.', linkedCategory: 'analytics' },
          ],
        },
      },
    },
  },
})
