/**
 * module.Check and its error type (golang.org/x/mod/module/module.go). Spec: goproxy-spec.md §2.2.
 */
import { InvalidRequestError } from '../errors.js';
import { checkPath, checkPathMajor, PathError, splitPathVersion, VersionError } from './check-path.js';
import { isValid } from './semver.js';

/**
 * module.ModuleError wrapping an InvalidVersionError: `example.com/m@v2.0.0: invalid version:
 * should be v0 or v1, not v2`.
 */
export class ModuleVersionError extends InvalidRequestError {
  constructor(
    readonly path: string,
    readonly version: string,
    readonly reason: string,
    readonly pseudo = false,
  ) {
    super(`${path}@${version}: invalid ${pseudo ? 'pseudo-version' : 'version'}: ${reason}`);
  }
}

/**
 * module.Check: the path is a valid module path, the version is valid semver, and its major fits
 * the path's major suffix (CheckPathMajor). Throws PathError or ModuleVersionError. The version
 * need not be canonical.
 */
export function checkModuleVersion(path: string, version: string): void {
  checkPath(path);
  if (!isValid(version)) throw new ModuleVersionError(path, version, 'not a semantic version');
  const pathMajor = splitPathVersion(path)?.pathMajor ?? '';
  try {
    checkPathMajor(version, pathMajor);
  } catch (err) {
    if (err instanceof VersionError) throw new ModuleVersionError(path, version, err.reason, err.pseudo);
    throw err;
  }
}

/** True if checkModuleVersion(path, version) would not throw. */
export function isValidModuleVersion(path: string, version: string): boolean {
  try {
    checkModuleVersion(path, version);
    return true;
  } catch (err) {
    if (err instanceof PathError || err instanceof ModuleVersionError) return false;
    throw err;
  }
}
