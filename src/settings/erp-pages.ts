// The ERP pages where an admin fixes the settings this worker reads, as messages for people name them.

/** The account page that holds the e-mail provider. */
export const ERP_ACCOUNT_PROFILE_PAGE = 'Settings > Account > Profile';
/** The account's Microsoft Graph settings: tenant, app, secret or certificate, sender, send mode. */
export const ERP_GRAPH_SETTINGS_PAGE = `${ERP_ACCOUNT_PROFILE_PAGE} > Microsoft Graph settings`;
/** A user's own sender address. */
export const ERP_USER_EMAIL_PAGE = 'Settings > User > (the user) > E-mail provider';
