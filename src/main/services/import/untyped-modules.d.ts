// Types for the two small libraries Verdaccio's htpasswd plugin verifies hashes with; neither ships its own.
declare module 'unix-crypt-td-js' {
  /** crypt(3) with the traditional DES scheme: the first two characters of `salt` are the salt. */
  function unixCryptTD(password: string, salt: string): string;
  export default unixCryptTD;
}
