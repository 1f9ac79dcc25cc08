/* main.c - glance-emc: a console and a glance-manage compatible command line for the
 * database of OpenStack Glance. */
#include "cli.h"

int main(int argc, char **argv)
{
    return cli_main(argc, argv);
}
