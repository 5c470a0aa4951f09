/** Names of the cookies the application sets, in one place. */
export const languageCookie = 'sh_lang';
export const elderModeCookie = 'sh_elder';
