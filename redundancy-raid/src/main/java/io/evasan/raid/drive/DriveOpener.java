package io.evasan.raid.drive;

import io.evasan.raid.drive.impl.FileDrive;

import java.nio.file.Path;

/**
 * How the pool obtains its {@link Drive}s: the seam tests replace to interpose fault-injecting
 * drives ({@code PowerCutDrive}). {@link #FILES} opens {@link FileDrive}s.
 */
public interface DriveOpener {
    /** Opens an existing labelled drive; a missing file yields a drive in state MISSING. */
    Drive open(Path path, int index, DriveLabel expected, Drive.ErrorListener listener);

    /** Initialises a new drive (size, label copies, empty PSEG table), forced. */
    Drive format(Path path, int index, long sizeBytes, DriveLabel label, Drive.ErrorListener listener);

    /** A placeholder for a drive known from the pool list whose file is gone. */
    default Drive missing(Path path, int index, DriveLabel expected, Drive.ErrorListener listener) {
        return FileDrive.missing(path, index, expected, listener);
    }

    DriveOpener FILES = new DriveOpener() {
        @Override
        public Drive open(Path path, int index, DriveLabel expected, Drive.ErrorListener listener) {
            return FileDrive.open(path, index, expected, listener);
        }

        @Override
        public Drive format(Path path, int index, long sizeBytes, DriveLabel label, Drive.ErrorListener listener) {
            return FileDrive.format(path, index, sizeBytes, label, listener);
        }
    };
}
