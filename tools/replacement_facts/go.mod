module marketplace-kit/tools/replacement_facts

go 1.22
