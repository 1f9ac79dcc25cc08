/* keeps the support library non-empty */
int emc_test_support_keep;
