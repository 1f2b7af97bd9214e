/* routegen placeholder: emits an empty route table until the real
 * generator lands. */
#include <stdio.h>
int main(void)
{
    puts("#include \"route.h\"\nconst route_entry route_table[] = {{0}};\nconst size_t route_table_len = 0;");
    return 0;
}
