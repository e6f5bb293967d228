package io.evasan.scsi;

/** SAM-5 task management service responses. */
public enum TmfResponse {
    FUNCTION_COMPLETE, FUNCTION_SUCCEEDED, TASK_DOES_NOT_EXIST, LUN_DOES_NOT_EXIST, FUNCTION_NOT_SUPPORTED, FUNCTION_REJECTED
}
