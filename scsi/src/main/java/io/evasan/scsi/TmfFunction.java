package io.evasan.scsi;

/** SAM-5 task management functions a transport can request. */
public enum TmfFunction {
    ABORT_TASK, ABORT_TASK_SET, CLEAR_TASK_SET, CLEAR_ACA, LOGICAL_UNIT_RESET, TARGET_WARM_RESET, TARGET_COLD_RESET, QUERY_TASK
}
